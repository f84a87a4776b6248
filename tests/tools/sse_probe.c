/* sse_probe: drives streaming OpenAI requests at a vLLM-compatible server (aifb-simllm in the tests)
 * with libcurl's multi interface on epoll, checks every chunk of vLLM's stream format, usage and
 * [DONE], and prints one JSON summary of client-side timing: TTFT (from the request being sent to the
 * first content chunk), ITL (gaps between content chunks), and the stamp error (the client's first
 * chunk time minus the server's aifb_sim.first_token_ns, both CLOCK_REALTIME). Percentiles are
 * numpy's linear ones. Exits 1 on any protocol error, 2 on bad usage. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

#include "buf.h"

#define SSE_MAX (1024 * 1024)

struct opts {
    const char *url, *model, *prompt, *records;
    long streams, requests, max_tokens, timeout_s, ramp_ms;
    bool chat;
};

/* What one request's stream showed; zeroed for each request. */
struct seen {
    long index;
    char id[80];      /* the response id of the first chunk parsed */
    char prefix[512]; /* the first chunk's bytes before "choices": every chunk repeats them */
    size_t prefix_len;
    char *first;           /* the first chunk's JSON when taken unparsed: checked at the end */
    int64_t t_add, t_send; /* CLOCK_MONOTONIC ns */
    int64_t t_first, t_prev;
    int64_t t_first_rt, t_send_rt; /* CLOCK_REALTIME ns */
    long ngaps, tokens;
    bool role, finished, usage, done, event_stream;
    int64_t stamp[4]; /* arrival, scheduled, first token, last token */
    char err[240];
};

/* One slot of the N in flight: its curl handle and buffers serve one request after another. */
struct req {
    struct probe *p;
    CURL *h;
    struct buf sse; /* bytes of an event not complete yet */
    double *gaps;   /* ms, max_tokens - 1 at most */
    struct seen s;
};

struct probe {
    struct opts o;
    CURLM *multi;
    int epfd;
    int64_t deadline; /* curl's timeout, CLOCK_MONOTONIC ns; -1: none */
    char *body;
    size_t body_len;
    int64_t prompt_tokens; /* what usage must say */
    struct curl_slist *headers;
    long slots, started, active, ok, errors;
    char first_error[300];
    double *ttft, *itl, *stamp_err, *srv_ttft, *wait, *lag;
    size_t nttft, nitl, nstamp;
    FILE *records;
};

static int64_t now_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "sse_probe: out of memory\n");
        exit(2);
    }
    return p;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.percentile's default (linear) on sorted v. */
static double percentile(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (pos - (double)lo);
}

static void fail(struct req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct req *r, const char *fmt, ...)
{
    if (r->s.err[0])
        return; /* the first error says most */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->s.err, sizeof(r->s.err), fmt, ap);
    va_end(ap);
}

/* Checks the members every chunk repeats: id, object, model. */
static void check_head(struct req *r, json_t *j)
{
    const char *object = r->p->o.chat ? "chat.completion.chunk" : "text_completion";
    const char *prefix = r->p->o.chat ? "chatcmpl-" : "cmpl-";
    const char *id = json_string_value(json_object_get(j, "id"));
    const char *ob = json_string_value(json_object_get(j, "object"));
    const char *model = json_string_value(json_object_get(j, "model"));
    if (!id || strncmp(id, prefix, strlen(prefix)) != 0 || !ob || strcmp(ob, object) != 0 || !model ||
        strcmp(model, r->p->o.model) != 0 || !json_is_integer(json_object_get(j, "created")))
        fail(r, "chunk lacks vLLM's id/object/created/model");
    else if (!r->s.id[0])
        snprintf(r->s.id, sizeof(r->s.id), "%s", id);
    else if (strcmp(r->s.id, id) != 0)
        fail(r, "chunk id changed from %s to %s", r->s.id, id);
}

static void take_stamp(struct req *r, json_t *j)
{
    static const char *const names[] = {"arrival_ns", "scheduled_ns", "first_token_ns", "last_token_ns"};
    json_t *s = json_object_get(j, "aifb_sim");
    if (!s)
        return;
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(s, names[i]);
        if (!json_is_integer(v))
            fail(r, "aifb_sim.%s is not an integer", names[i]);
        r->s.stamp[i] = json_integer_value(v);
    }
}

static void take_usage(struct req *r, json_t *j)
{
    json_t *u = json_object_get(j, "usage");
    json_int_t p = json_integer_value(json_object_get(u, "prompt_tokens"));
    json_int_t c = json_integer_value(json_object_get(u, "completion_tokens"));
    json_int_t t = json_integer_value(json_object_get(u, "total_tokens"));
    if (r->s.usage || !r->s.finished)
        fail(r, "usage chunk out of place");
    else if (c != r->p->o.max_tokens || t != p + c || (r->p->prompt_tokens >= 0 && p != r->p->prompt_tokens))
        fail(r, "usage %lld+%lld=%lld, want %lld prompt and %ld completion tokens", (long long)p, (long long)c,
             (long long)t, (long long)r->p->prompt_tokens, r->p->o.max_tokens);
    r->s.usage = true;
}

/* The times of a content chunk: the first one's, or the gap since the one before. */
static void note_token(struct req *r, int64_t mono, int64_t rt)
{
    if (r->s.tokens == 0) {
        r->s.t_first = mono;
        r->s.t_first_rt = rt;
    } else if (r->s.ngaps < r->p->o.max_tokens) {
        r->gaps[r->s.ngaps++] = (double)(mono - r->s.t_prev) / 1e6;
    }
    r->s.t_prev = mono;
    r->s.tokens++;
}

/* A content chunk: the expected token, with finish_reason only on the last. */
static void take_token(struct req *r, json_t *choice, const char *text, int64_t mono, int64_t rt)
{
    char want[32];
    snprintf(want, sizeof(want), " tok%ld", r->s.tokens);
    bool last = r->s.tokens + 1 == r->p->o.max_tokens;
    json_t *fr = json_object_get(choice, "finish_reason");
    if (strcmp(text, want) != 0)
        fail(r, "token %ld is '%s', want '%s'", r->s.tokens, text, want);
    if (last ? !json_is_string(fr) || strcmp(json_string_value(fr), "length") != 0 : !json_is_null(fr))
        fail(r, "token %ld: finish_reason is wrong", r->s.tokens);
    if (r->s.finished)
        fail(r, "content after the last token");
    note_token(r, mono, rt);
    r->s.finished = last;
}

static void take_choice(struct req *r, json_t *choice, int64_t mono, int64_t rt)
{
    if (json_integer_value(json_object_get(choice, "index")) != 0 || !json_is_null(json_object_get(choice, "logprobs")))
        fail(r, "choice lacks index 0 and logprobs null");
    if (!r->p->o.chat) {
        const char *text = json_string_value(json_object_get(choice, "text"));
        if (!text || !json_is_null(json_object_get(choice, "stop_reason")))
            fail(r, "completion chunk lacks text or stop_reason");
        else
            take_token(r, choice, text, mono, rt);
        return;
    }
    json_t *delta = json_object_get(choice, "delta");
    const char *role = json_string_value(json_object_get(delta, "role"));
    const char *content = json_string_value(json_object_get(delta, "content"));
    if (role) {
        if (r->s.role || r->s.tokens || strcmp(role, "assistant") != 0 || !content || content[0])
            fail(r, "role chunk out of place or not {\"role\":\"assistant\",\"content\":\"\"}");
        r->s.role = true;
    } else if (!content || !r->s.role) {
        fail(r, "chat chunk without content, or before the role chunk");
    } else {
        take_token(r, choice, content, mono, rt);
    }
}

/* What the event after those seen so far must be when it is a plain one (the role chunk, or a token
 * before the last), from "choices" on; its length, or 0 when the next is not plain. */
static size_t plain_rest(struct req *r, char *out, size_t n)
{
    int k = 0;
    if (r->p->o.chat && !r->s.role)
        k = snprintf(out, n,
                     "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,"
                     "\"finish_reason\":null}]}");
    else if (r->s.tokens + 1 >= r->p->o.max_tokens)
        return 0;
    else if (r->p->o.chat)
        k = snprintf(out, n,
                     "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok%ld\"},\"logprobs\":null,"
                     "\"finish_reason\":null}]}",
                     r->s.tokens);
    else
        k = snprintf(out, n,
                     "\"choices\":[{\"index\":0,\"text\":\" tok%ld\",\"logprobs\":null,\"finish_reason\":null,"
                     "\"stop_reason\":null}]}",
                     r->s.tokens);
    return k > 0 && (size_t)k < n ? (size_t)k : 0;
}

/* A plain event that is byte for byte what is expected (the first chunk's start, then the role or
 * the next token, no finish) is taken without a JSON parse, which matters at thousands of streams;
 * the first chunk's start is checked once, at the end. Anything else goes the long way. */
static bool fast_event(struct req *r, const char *ev, size_t n, int64_t mono, int64_t rt)
{
    size_t k = r->s.prefix_len;
    if (k == 0) {
        const char *c = memmem(ev, n, "\"choices\":", 10);
        if (!c || (size_t)(c - ev) > sizeof(r->s.prefix))
            return false;
        k = (size_t)(c - ev);
    } else if (n <= k || memcmp(ev, r->s.prefix, k) != 0) {
        return false;
    }
    char want[256];
    size_t w = plain_rest(r, want, sizeof(want));
    if (w == 0 || w != n - k || memcmp(ev + k, want, w) != 0)
        return false;
    if (r->s.prefix_len == 0) {
        memcpy(r->s.prefix, ev, k);
        r->s.prefix_len = k;
        r->s.first = strndup(ev + 6, n - 6);
    }
    if (r->p->o.chat && !r->s.role)
        r->s.role = true;
    else
        note_token(r, mono, rt);
    return true;
}

static void learn_prefix(struct req *r, const char *ev, size_t n)
{
    const char *c = memmem(ev, n, "\"choices\":", 10);
    if (r->s.err[0] || !c || (size_t)(c - ev) > sizeof(r->s.prefix))
        return;
    r->s.prefix_len = (size_t)(c - ev);
    memcpy(r->s.prefix, ev, r->s.prefix_len);
}

/* One "data: ..." event. */
static void take_event(struct req *r, const char *ev, size_t n, int64_t mono, int64_t rt)
{
    if (n < 6 || memcmp(ev, "data: ", 6) != 0) {
        fail(r, "event does not start with 'data: '");
        return;
    }
    if (r->s.done) {
        fail(r, "event after [DONE]");
        return;
    }
    if (n == 12 && memcmp(ev + 6, "[DONE]", 6) == 0) {
        r->s.done = true;
        return;
    }
    if (fast_event(r, ev, n, mono, rt))
        return;
    json_error_t jerr;
    json_t *j = json_loadb(ev + 6, n - 6, 0, &jerr);
    if (!json_is_object(j)) {
        fail(r, "chunk is not a JSON object: %s", jerr.text);
        json_decref(j);
        return;
    }
    check_head(r, j);
    json_t *choices = json_object_get(j, "choices");
    if (json_is_array(choices) && json_array_size(choices) == 0)
        take_usage(r, j);
    else if (json_array_size(choices) == 1)
        take_choice(r, json_array_get(choices, 0), mono, rt);
    else
        fail(r, "chunk has %zu choices", json_array_size(choices));
    take_stamp(r, j);
    json_decref(j);
    if (!r->s.prefix_len)
        learn_prefix(r, ev, n);
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
    struct req *r = arg;
    int64_t mono = now_ns(CLOCK_MONOTONIC), rt = now_ns(CLOCK_REALTIME);
    if (buf_append(&r->sse, data, size * n) < 0) {
        fail(r, "an event over %d bytes", SSE_MAX);
        return 0;
    }
    size_t off = 0;
    for (;;) {
        char *end = r->sse.len - off >= 2 ? memmem(r->sse.data + off, r->sse.len - off, "\n\n", 2) : NULL;
        if (!end)
            break;
        take_event(r, r->sse.data + off, (size_t)(end - (r->sse.data + off)), mono, rt);
        off = (size_t)(end - r->sse.data) + 2;
    }
    memmove(r->sse.data, r->sse.data + off, r->sse.len - off);
    r->sse.len -= off;
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct req *r = arg;
    static const char want[] = "content-type: text/event-stream";
    if (size * n >= sizeof(want) - 1 && strncasecmp(data, want, sizeof(want) - 1) == 0)
        r->s.event_stream = true;
    return size * n;
}

/* curl calls this right before it sends the request: the start of the request's TTFT. */
static int on_prereq(void *arg, char *ip, char *local_ip, int port, int local_port)
{
    (void)ip, (void)local_ip, (void)port, (void)local_port;
    struct req *r = arg;
    r->s.t_send = now_ns(CLOCK_MONOTONIC);
    r->s.t_send_rt = now_ns(CLOCK_REALTIME);
    return CURL_PREREQFUNC_OK;
}

/* A slot's curl handle, set up once: its connection is kept for the requests that follow. */
static struct req *new_slot(struct probe *p)
{
    struct req *r = xcalloc(1, sizeof(*r));
    r->p = p;
    r->gaps = xcalloc((size_t)p->o.max_tokens, sizeof(double));
    buf_init(&r->sse, SSE_MAX);
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", p->o.url, p->o.chat ? "/v1/chat/completions" : "/v1/completions");
    r->h = curl_easy_init();
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_POST, 1L);
    /* Head and body in one write, as a client with a small body sends them. */
    curl_easy_setopt(r->h, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(r->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->body_len);
    curl_easy_setopt(r->h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(r->h, CURLOPT_PREREQDATA, r);
    curl_easy_setopt(r->h, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(r->h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(r->h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(r->h, CURLOPT_PRIVATE, r);
    curl_easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->h, CURLOPT_TIMEOUT, p->o.timeout_s);
    return r;
}

static void free_slot(struct req *r)
{
    curl_easy_cleanup(r->h);
    buf_free(&r->sse);
    free(r->gaps);
    free(r->s.first);
    free(r);
}

/* Starts the next request on slot r. */
static void start_one(struct probe *p, struct req *r)
{
    free(r->s.first);
    memset(&r->s, 0, sizeof(r->s));
    buf_clear(&r->sse);
    r->s.index = p->started++;
    r->s.t_add = now_ns(CLOCK_MONOTONIC);
    curl_multi_add_handle(p->multi, r->h);
    p->active++;
}

/* The checks that need the whole stream; then the request's numbers join the summary. */
static void judge(struct req *r, CURLcode res)
{
    long status = 0;
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
    if (res != CURLE_OK)
        fail(r, "transfer: %s", curl_easy_strerror(res));
    else if (status != 200)
        fail(r, "HTTP status %ld", status);
    else if (!r->s.event_stream)
        fail(r, "content-type is not text/event-stream");
    else if (r->sse.len)
        fail(r, "%zu bytes after the last event", r->sse.len);
    else if (!r->s.finished || !r->s.usage || !r->s.done)
        fail(r, "stream ended early: %ld tokens, usage %s, [DONE] %s", r->s.tokens, r->s.usage ? "yes" : "no",
             r->s.done ? "yes" : "no");
    else if (r->s.stamp[2] == 0)
        fail(r, "no aifb_sim stamp");
    if (r->s.first) {
        json_error_t jerr;
        json_t *j = json_loads(r->s.first, 0, &jerr);
        if (json_is_object(j))
            check_head(r, j);
        else
            fail(r, "first chunk is not a JSON object: %s", jerr.text);
        json_decref(j);
    }
}

static void record(struct probe *p, struct req *r)
{
    double ttft = (double)(r->s.t_first - r->s.t_send) / 1e6;
    double stamp_err = (double)(r->s.t_first_rt - r->s.stamp[2]) / 1e6;
    double srv_ttft = (double)(r->s.stamp[2] - r->s.stamp[0]) / 1e6;
    if (!r->s.err[0]) {
        p->ok++;
        p->ttft[p->nttft] = ttft;
        p->srv_ttft[p->nttft] = srv_ttft;
        p->wait[p->nttft] = (double)(r->s.t_send - r->s.t_add) / 1e6;
        p->lag[p->nttft++] = (double)(r->s.stamp[0] - r->s.t_send_rt) / 1e6;
        p->stamp_err[p->nstamp++] = stamp_err;
        memcpy(p->itl + p->nitl, r->gaps, (size_t)r->s.ngaps * sizeof(double));
        p->nitl += (size_t)r->s.ngaps;
    } else {
        p->errors++;
        if (!p->first_error[0])
            snprintf(p->first_error, sizeof(p->first_error), "request %ld: %s", r->s.index, r->s.err);
    }
    if (!p->records)
        return;
    double max_gap = 0;
    for (long i = 0; i < r->s.ngaps; i++)
        max_gap = r->gaps[i] > max_gap ? r->gaps[i] : max_gap;
    json_t *j =
        json_pack("{s:i,s:b,s:i,s:f,s:f,s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:s}", "index", (int)r->s.index, "ok", !r->s.err[0],
                  "tokens", (int)r->s.tokens, "ttft_ms", ttft, "server_ttft_ms", srv_ttft, "stamp_error_ms", stamp_err,
                  "itl_max_ms", max_gap, "arrival_ns", (json_int_t)r->s.stamp[0], "scheduled_ns",
                  (json_int_t)r->s.stamp[1], "first_token_ns", (json_int_t)r->s.stamp[2], "last_token_ns",
                  (json_int_t)r->s.stamp[3], "client_first_ns", (json_int_t)r->s.t_first_rt, "error", r->s.err);
    char *line = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(9));
    if (line)
        fprintf(p->records, "%s\n", line);
    free(line);
    json_decref(j);
}

static void finish_done(struct probe *p)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct req *r;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        judge(r, m->data.result);
        record(p, r);
        curl_multi_remove_handle(p->multi, r->h);
        p->active--;
        if (p->started < p->o.requests)
            start_one(p, r);
        else
            free_slot(r);
    }
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)e, (void)socketp;
    struct probe *p = userp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, s, NULL);
        return 0;
    }
    struct epoll_event ev = {.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u),
                             .data.fd = s};
    if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, s, &ev) < 0 && errno == ENOENT)
        epoll_ctl(p->epfd, EPOLL_CTL_ADD, s, &ev);
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct probe *p = userp;
    p->deadline = timeout_ms < 0 ? -1 : now_ns(CLOCK_MONOTONIC) + (int64_t)timeout_ms * 1000000LL;
    return 0;
}

/* The slots not started yet are started evenly over --ramp-ms (all at once without it), so that
 * N streams need not all be due at the same instants. Returns ms until the next start, or -1. */
static int ramp(struct probe *p, int64_t t0)
{
    long slots = p->o.streams < p->o.requests ? p->o.streams : p->o.requests;
    while (p->slots < slots) {
        int64_t at = t0 + p->o.ramp_ms * 1000000LL * p->slots / slots;
        int64_t now = now_ns(CLOCK_MONOTONIC);
        if (at > now)
            return (int)((at - now + 999999) / 1000000);
        start_one(p, new_slot(p));
        p->slots++;
    }
    return -1;
}

static void run(struct probe *p)
{
    struct epoll_event evs[256];
    int running;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int next = ramp(p, t0);
    while (p->active > 0 || next >= 0) {
        int64_t now = now_ns(CLOCK_MONOTONIC);
        int wait = p->deadline < 0 ? 1000 : p->deadline <= now ? 0 : (int)((p->deadline - now + 999999) / 1000000);
        if (next >= 0 && next < wait)
            wait = next;
        int n = epoll_wait(p->epfd, evs, 256, wait);
        for (int i = 0; i < n; i++) {
            int flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                        (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                        (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(p->multi, evs[i].data.fd, flags, &running);
        }
        if (p->deadline >= 0 && now_ns(CLOCK_MONOTONIC) >= p->deadline) {
            p->deadline = -1;
            curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        }
        finish_done(p);
        next = ramp(p, t0);
    }
}

/* The request body, and the prompt tokens the server must count for it (ceil(bytes / 4)). */
static void make_body(struct probe *p)
{
    json_t *j = json_pack("{s:s,s:i,s:b,s:{s:b},s:b}", "model", p->o.model, "max_tokens", (int)p->o.max_tokens,
                          "stream", 1, "stream_options", "include_usage", 1, "ignore_eos", 1);
    if (p->o.chat)
        json_object_set_new(j, "messages", json_pack("[{s:s,s:s}]", "role", "user", "content", p->o.prompt));
    else
        json_object_set_new(j, "prompt", json_string(p->o.prompt));
    p->body = json_dumps(j, JSON_COMPACT);
    p->body_len = strlen(p->body);
    p->prompt_tokens = (int64_t)((strlen(p->o.prompt) + 3) / 4);
    json_decref(j);
}

static json_t *stats(double *v, size_t n)
{
    qsort(v, n, sizeof(double), cmp_double);
    if (n == 0)
        return json_pack("{s:n,s:n,s:n,s:n}", "p50", "p99", "min", "max");
    return json_pack("{s:f,s:f,s:f,s:f}", "p50", percentile(v, n, 50), "p99", percentile(v, n, 99), "min", v[0], "max",
                     v[n - 1]);
}

static void summary(struct probe *p, double wall_s)
{
    json_t *j =
        json_pack("{s:i,s:i,s:i,s:i,s:i,s:f}", "requests", (int)p->o.requests, "ok", (int)p->ok, "errors",
                  (int)p->errors, "streams", (int)p->o.streams, "max_tokens", (int)p->o.max_tokens, "wall_s", wall_s);
    json_object_set_new(j, "ttft_ms", stats(p->ttft, p->nttft));
    json_object_set_new(j, "itl_ms", stats(p->itl, p->nitl));
    json_object_set_new(j, "stamp_error_ms", stats(p->stamp_err, p->nstamp));
    json_object_set_new(j, "server_ttft_ms", stats(p->srv_ttft, p->nttft));
    json_object_set_new(j, "client_wait_ms", stats(p->wait, p->nttft));
    json_object_set_new(j, "send_to_arrival_ms", stats(p->lag, p->nttft));
    json_object_set_new(j, "itl_samples", json_integer((json_int_t)p->nitl));
    if (p->first_error[0])
        json_object_set_new(j, "first_error", json_string(p->first_error));
    char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(6));
    puts(s);
    free(s);
    json_decref(j);
}

static void usage(void)
{
    fprintf(stderr, "usage: sse_probe --url http://HOST:PORT --model M --streams N --requests R --max-tokens K\n"
                    "                 [--chat] [--prompt TEXT] [--records FILE] [--timeout S] [--ramp-ms MS]\n");
}

static long num(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        usage();
        exit(2);
    }
    return v;
}

static void parse(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"url", 1, NULL, 'u'},        {"model", 1, NULL, 'm'},   {"streams", 1, NULL, 'n'}, {"requests", 1, NULL, 'r'},
        {"max-tokens", 1, NULL, 'k'}, {"chat", 0, NULL, 'c'},    {"prompt", 1, NULL, 'p'},  {"records", 1, NULL, 'o'},
        {"timeout", 1, NULL, 't'},    {"ramp-ms", 1, NULL, 'R'}, {NULL, 0, NULL, 0}};
    *o = (struct opts){
        .prompt = "Say something about HPC clusters.", .streams = 1, .requests = 1, .max_tokens = 16, .timeout_s = 300};
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'u':
            o->url = optarg;
            break;
        case 'm':
            o->model = optarg;
            break;
        case 'n':
            o->streams = num(optarg, 1, 100000);
            break;
        case 'r':
            o->requests = num(optarg, 1, 10000000);
            break;
        case 'k':
            o->max_tokens = num(optarg, 1, 1000000);
            break;
        case 'c':
            o->chat = true;
            break;
        case 'p':
            o->prompt = optarg;
            break;
        case 'o':
            o->records = optarg;
            break;
        case 'R':
            o->ramp_ms = num(optarg, 0, 3600000);
            break;
        case 't':
            o->timeout_s = num(optarg, 1, 86400);
            break;
        default:
            usage();
            exit(2);
        }
    }
    if (!o->url || !o->model || optind < argc) {
        usage();
        exit(2);
    }
}

int main(int argc, char **argv)
{
    struct probe p = {.deadline = -1};
    parse(argc, argv, &p.o);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max; /* one socket per stream */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (p.o.records) {
        p.records = fopen(p.o.records, "w");
        if (!p.records) {
            fprintf(stderr, "sse_probe: cannot write %s: %s\n", p.o.records, strerror(errno));
            return 2;
        }
    }
    size_t n = (size_t)p.o.requests;
    p.ttft = xcalloc(n, sizeof(double));
    p.srv_ttft = xcalloc(n, sizeof(double));
    p.wait = xcalloc(n, sizeof(double));
    p.lag = xcalloc(n, sizeof(double));
    p.stamp_err = xcalloc(n, sizeof(double));
    p.itl = xcalloc(n * (size_t)p.o.max_tokens, sizeof(double));
    make_body(&p);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    p.headers = curl_slist_append(NULL, "Content-Type: application/json");
    p.headers = curl_slist_append(p.headers, "Expect:");
    p.multi = curl_multi_init();
    p.epfd = epoll_create1(EPOLL_CLOEXEC);
    curl_multi_setopt(p.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(p.multi, CURLMOPT_SOCKETDATA, &p);
    curl_multi_setopt(p.multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(p.multi, CURLMOPT_TIMERDATA, &p);
    curl_multi_setopt(p.multi, CURLMOPT_MAXCONNECTS, p.o.streams);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    run(&p);
    summary(&p, (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
    if (p.records)
        fclose(p.records);
    curl_multi_cleanup(p.multi);
    curl_slist_free_all(p.headers);
    curl_global_cleanup();
    free(p.body);
    free(p.ttft), free(p.srv_ttft), free(p.wait), free(p.lag), free(p.stamp_err), free(p.itl);
    return p.errors || p.ok != p.o.requests ? 1 : 0;
}
