/* loop: the engine of aifb-loadgen. Each slot is one easy handle with its answer's reader; slots are
 * reused (their connections stay in the multi's cache), so a request costs an add_handle and the
 * reads of its answer. The schedule is worked out in drive(): curl's due timeout first, then the
 * requests whose time has come, then the push, until nothing more is due now; then epoll_wait until
 * a socket, the timerfd or a signal wakes the loop. */
#include "loop.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "arrival.h"
#include "out.h"
#include "stream.h"

#define EVENTS_PER_WAIT 512
#define CONNECT_TIMEOUT_MS 10000L
#define PUSH_TIMEOUT_MS 10000L
#define DRIVE_ROUNDS 16 /* rounds of drive() before the loop looks at its file descriptors again */
#define NS 1000000000LL

struct engine;

/* One request at a time, its handle kept for the next. */
struct slot {
    struct engine *e;
    CURL *h;
    struct stream st;
    struct slot *next_free;
    bool busy;
    bool connected; /* curl had a connection for it (a timeout before that is a connect failure) */
    uint64_t seq;
    enum phase phase;
    int64_t scheduled_us, sent_us, prompt_tokens;
};

/* A request body, made once per prompt. */
struct body {
    char *text;
    size_t len;
};

struct engine {
    const struct loop_setup *s;
    const struct workload *w;
    CURLM *multi;
    int epfd, tfd, sfd;
    int64_t t0_ns, t0_us;
    int64_t curl_due, sched_due, push_due, armed; /* CLOCK_MONOTONIC ns; -1: none */
    struct slot **slots;                          /* every slot made, to cancel and free them */
    size_t nslots, cap_slots;
    struct slot *free;
    int64_t in_flight;
    uint64_t seq;    /* requests started */
    double duration; /* seconds; 0: bounded by count only */
    struct body *bodies;
    size_t nbodies;
    char **urls; /* per target */
    struct curl_slist *headers;
    bool over; /* nothing more will be scheduled */
    bool stop; /* a signal came */
    /* open loop */
    struct arrival arr;
    double next_s;  /* the next arrival on the schedule (s from the start); < 0: draw one */
    double shift_s; /* the schedule's shift by holds at the cap */
    bool holding;   /* the next arrival is due and waits for a free slot */
};

int loop_block_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    signal(SIGPIPE, SIG_IGN); /* a peer that goes away is an error of one request, not of the run */
    return sigprocmask(SIG_BLOCK, &set, NULL);
}

int64_t loop_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

int64_t loop_epoch_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A monotonic time as epoch us: the start's wall clock plus the monotonic offset, so that a step of
 * the wall clock during the run moves nothing. */
static int64_t epoch_of(const struct engine *e, int64_t ns)
{
    return e->t0_us + (ns - e->t0_ns) / 1000;
}

static double since_start(const struct engine *e, int64_t ns)
{
    return (double)(ns - e->t0_ns) / 1e9;
}

static enum phase phase_of(const struct engine *e, int64_t at_ns)
{
    double t = since_start(e, at_ns);
    if (t < e->w->warmup_s)
        return PHASE_WARMUP;
    if (e->duration > 0 && e->w->cooldown_s > 0 && t >= e->duration - e->w->cooldown_s)
        return PHASE_COOLDOWN;
    return PHASE_MEASURE;
}

/* ---- one request ---- */

/* The answer's status and type, once curl has its head. */
static void take_head(struct slot *sl)
{
    long code = 0;
    char *type = NULL;
    curl_easy_getinfo(sl->h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(sl->h, CURLINFO_CONTENT_TYPE, &type);
    stream_head(&sl->st, (int)code, type);
}

/* Bytes of an answer: one clock reading for all the chunks they complete. */
static size_t on_write(char *p, size_t size, size_t n, void *arg)
{
    struct slot *sl = arg;
    struct engine *e = sl->e;
    int64_t now_us = epoch_of(e, loop_mono_ns());
    if (!sl->st.head_seen)
        take_head(sl);
    int k = stream_feed(&sl->st, p, size * n, now_us);
    if (k < 0)
        return 0; /* not the OpenAI format: curl aborts the transfer, the record says protocol */
    if (k > 0)
        output_live_tokens(e->s->out, k);
    return size * n;
}

/* curl has a connection for the request and is about to send it. */
static int on_prereq(void *arg, char *ip, char *local_ip, int port, int local_port)
{
    (void)ip, (void)local_ip, (void)port, (void)local_port;
    struct slot *sl = arg;
    sl->connected = true;
    return CURL_PREREQFUNC_OK;
}

/* The options of every connection the run makes (a preconnected one must match to be reused). */
static void conn_options(struct engine *e, CURL *h)
{
    long timeout_ms = (long)ceil(e->w->timeout_s * 1000);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < CONNECT_TIMEOUT_MS ? timeout_ms : CONNECT_TIMEOUT_MS);
    /* the service under test is reached directly: a proxy from the job's environment would be
     * measured along with it */
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "aifb-loadgen");
}

static void slot_options(struct engine *e, struct slot *sl)
{
    CURL *h = sl->h;
    curl_easy_setopt(h, CURLOPT_PRIVATE, sl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, sl);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, sl);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->headers);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    conn_options(e, h);
}

/* A free slot, made when none is. */
static struct slot *slot_get(struct engine *e)
{
    struct slot *sl = e->free;
    if (sl) {
        e->free = sl->next_free;
        return sl;
    }
    if (e->nslots == e->cap_slots) {
        size_t cap = e->cap_slots ? e->cap_slots * 2 : 64;
        struct slot **v = realloc(e->slots, cap * sizeof(*v));
        if (!v)
            abort(); /* as the arena: no memory, nothing useful left to do */
        e->slots = v;
        e->cap_slots = cap;
    }
    sl = calloc(1, sizeof(*sl));
    if (!sl)
        abort();
    sl->h = curl_easy_init();
    if (!sl->h)
        abort();
    sl->e = e;
    stream_init(&sl->st, e->w->stream);
    slot_options(e, sl);
    e->slots[e->nslots++] = sl;
    return sl;
}

static void finish_slot(struct engine *e, struct slot *sl, enum stream_end how, int64_t now);

/* Hands the next request to curl; scheduled_ns is when the schedule wanted it. */
static void start_request(struct engine *e, int64_t scheduled_ns)
{
    const struct workload *w = e->w;
    struct slot *sl = slot_get(e);
    uint64_t seq = e->seq++;
    size_t pi = (size_t)(seq % e->s->prompts->n);
    const struct body *b = &e->bodies[pi];
    stream_reset(&sl->st, w->stream);
    curl_easy_setopt(sl->h, CURLOPT_URL, e->urls[seq % w->ntargets]);
    curl_easy_setopt(sl->h, CURLOPT_POSTFIELDS, b->text);
    curl_easy_setopt(sl->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
    sl->seq = seq;
    sl->phase = phase_of(e, scheduled_ns);
    sl->scheduled_us = epoch_of(e, scheduled_ns);
    sl->prompt_tokens = e->s->prompts->items[pi].tokens;
    sl->connected = false;
    sl->busy = true;
    int64_t now = loop_mono_ns();
    sl->sent_us = epoch_of(e, now);
    e->in_flight++;
    output_started(e->s->out, sl->sent_us);
    if (curl_multi_add_handle(e->multi, sl->h) != CURLM_OK)
        finish_slot(e, sl, STREAM_END_BROKEN, now); /* curl refused it (no memory): a failed request */
}

static enum stream_end end_of(CURLcode res, bool connected)
{
    switch (res) {
    case CURLE_OK:
        return STREAM_END_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return connected ? STREAM_END_TIMEOUT : STREAM_END_CONNECT;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return STREAM_END_CONNECT;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
        return connected ? STREAM_END_CUT : STREAM_END_CONNECT;
    default:
        return STREAM_END_BROKEN;
    }
}

/* The time the transfer of h spent opening a new connection (name lookup, TCP, TLS), in us; 0 when
 * it reused one or made none. */
static int64_t connect_time(CURL *h)
{
    long made = 0;
    curl_off_t tcp = 0, tls = 0;
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &made);
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &tcp);
    curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &tls);
    return made > 0 ? (int64_t)(tls > tcp ? tls : tcp) : 0;
}

/* The request of sl ended as how at now: its record, and the slot back on the free list. */
static void finish_slot(struct engine *e, struct slot *sl, enum stream_end how, int64_t now)
{
    struct record r = {0};
    if (!sl->st.head_seen)
        take_head(sl); /* an answer without a body (a bare 500) still has its status */
    stream_finish(&sl->st, how, sl->prompt_tokens, &r);
    r.rank = e->s->rank;
    r.seq = sl->seq;
    r.phase = sl->phase;
    r.scheduled_us = sl->scheduled_us;
    r.sent_us = sl->sent_us;
    r.done_us = epoch_of(e, now);
    r.connect_us = sl->connected ? connect_time(sl->h) : 0; /* no connection: curl's figures are not this one's */
    /* the live count gets what the chunks did not say (a whole answer's tokens, usage after chunks
     * of several tokens) when the answer ends */
    if (!r.error_class && r.completion_tokens > sl->st.live_tokens)
        output_live_tokens(e->s->out, r.completion_tokens - sl->st.live_tokens);
    output_record(e->s->out, &r);
    if (e->s->push)
        push_observe(e->s->push, &r);
    curl_multi_remove_handle(e->multi, sl->h);
    sl->busy = false;
    sl->next_free = e->free;
    e->free = sl;
    e->in_flight--;
}

/* Takes what curl finished: requests and the push. */
static void reap(struct engine *e)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(e->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *h = m->easy_handle; /* m is gone once the handle is removed */
        CURLcode res = m->data.result;
        struct push *p = e->s->push;
        if (p && h == p->h) {
            long status = 0;
            curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle(e->multi, h);
            push_done(p, res, status);
            continue;
        }
        struct slot *sl = NULL;
        curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&sl);
        finish_slot(e, sl, end_of(res, sl->connected), loop_mono_ns());
    }
}

/* ---- the schedule ---- */

/* Whether the count bound lets one more request start. */
static bool count_left(const struct engine *e)
{
    int64_t n = e->w->requests;
    return n == 0 || (n > 0 && e->seq < (uint64_t)n);
}

/* The first stage boundary (or the duration's end) after t, in ns; -1: none. */
static int64_t next_boundary(const struct engine *e, double t)
{
    double end = 0;
    for (size_t i = 0; i < e->w->nstages; i++) {
        end += e->w->stages[i].duration_s;
        if (end > t)
            return e->t0_ns + llround(end * 1e9);
    }
    return e->duration > t ? e->t0_ns + llround(e->duration * 1e9) : -1;
}

/* Closed loop: fills the slots the concurrency of now allows; each request's schedule is now. */
static void schedule_closed(struct engine *e, int64_t now)
{
    e->sched_due = -1;
    while (!e->over) {
        double t = since_start(e, now);
        if (!count_left(e) || (e->duration > 0 && t >= e->duration)) {
            e->over = true;
            break;
        }
        if (e->in_flight >= arrival_concurrency(e->w, t)) {
            e->sched_due = next_boundary(e, t); /* the concurrency may rise there */
            double r = arrival_ramp_next(e->w, t);
            int64_t ramp_due = r >= 0 ? e->t0_ns + llround(r * 1e9) : -1;
            if (ramp_due >= 0 && (e->sched_due < 0 || ramp_due < e->sched_due))
                e->sched_due = ramp_due <= now ? now + 1000 : ramp_due;
            break;
        }
        start_request(e, now);
    }
}

/* Open loop: sends what is due. At the cap the due arrival waits (holding); when a slot frees it
 * goes, and the schedule from then on moves by the time it waited. */
static void schedule_open(struct engine *e, int64_t now)
{
    const struct workload *w = e->w;
    e->sched_due = -1;
    while (!e->over) {
        if (count_left(e) && e->next_s < 0)
            e->next_s = arrival_next(&e->arr);
        if (!count_left(e) || e->next_s < 0) {
            e->over = true;
            break;
        }
        double at = e->next_s + e->shift_s;
        if (e->duration > 0 && at >= e->duration) {
            e->over = true; /* the duration is wall time: a shifted schedule ends with it */
            break;
        }
        int64_t due = e->t0_ns + llround(at * 1e9);
        if (due > now) {
            e->sched_due = due;
            break;
        }
        if (w->max_concurrency > 0 && e->in_flight >= w->max_concurrency) {
            e->holding = true; /* a finished request calls the schedule again */
            break;
        }
        if (e->holding && e->duration > 0 && since_start(e, now) >= e->duration) {
            e->over = true; /* the slot freed after the end: the held arrival is not sent */
            break;
        }
        if (e->holding) {
            e->shift_s += (double)(now - due) / 1e9;
            e->holding = false;
        }
        start_request(e, due);
        e->next_s = -1;
    }
}

static void schedule(struct engine *e, int64_t now)
{
    if (e->stop)
        return;
    if (e->w->mode == WL_CLOSED)
        schedule_closed(e, now);
    else
        schedule_open(e, now);
}

/* A push when its time has come (skipped while the last one is in flight). */
static void push_tick(struct engine *e, int64_t now)
{
    struct push *p = e->s->push;
    if (!p || now < e->push_due)
        return;
    int64_t every = llround(e->w->push_interval_s * 1e9);
    e->push_due += every;
    if (e->push_due <= now)
        e->push_due = now + every; /* after a long stall: no string of pushes to catch up */
    const struct output *o = e->s->out;
    struct push_counts c = {.started = o->started,
                            .completed = o->completed,
                            .failed = o->failed,
                            .in_flight = e->in_flight,
                            .output_tokens = o->output_tokens};
    CURL *h = push_start(p, &c);
    if (h && curl_multi_add_handle(e->multi, h) != CURLM_OK)
        p->busy = false;
}

/* ---- the event loop ---- */

static int on_socket(CURL *h, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)h, (void)sockp;
    struct engine *e = arg;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u),
                             .data.fd = fd};
    if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
        epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
    (void)multi;
    struct engine *e = arg;
    e->curl_due = timeout_ms < 0 ? -1 : loop_mono_ns() + (int64_t)timeout_ms * 1000000;
    return 0;
}

/* Sets the timerfd to the earliest deadline. Returns 0 or -1 (errno). */
static int arm(struct engine *e)
{
    int64_t due = -1, all[3] = {e->curl_due, e->sched_due, e->s->push ? e->push_due : -1};
    for (int i = 0; i < 3; i++)
        if (all[i] >= 0 && (due < 0 || all[i] < due))
            due = all[i];
    if (due == e->armed)
        return 0;
    struct itimerspec its = {{0, 0}, {0, 0}};
    if (due >= 0) {
        its.it_value.tv_sec = due / NS;
        its.it_value.tv_nsec = due % NS;
        if (due == 0)
            its.it_value.tv_nsec = 1; /* 0 would disarm it */
    }
    if (timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -1;
    e->armed = due;
    return 0;
}

/* Runs what is due now: curl's timeout, the schedule, the push; again while curl asks for more at
 * once (adding a request makes it due at once), a bounded number of rounds. */
static void drive(struct engine *e)
{
    for (int round = 0; round < DRIVE_ROUNDS; round++) {
        int64_t now = loop_mono_ns();
        if (e->curl_due >= 0 && e->curl_due <= now) {
            int running;
            e->curl_due = -1;
            curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
            reap(e);
            now = loop_mono_ns();
        }
        schedule(e, now);
        push_tick(e, now);
        if (e->curl_due < 0 || e->curl_due > loop_mono_ns())
            return;
    }
}

static void handle(struct engine *e, const struct epoll_event *evs, int n)
{
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd, running;
        if (fd == e->tfd) {
            uint64_t ticks;
            ssize_t r = read(fd, &ticks, sizeof(ticks));
            (void)r; /* EAGAIN when it was re-armed since: nothing to drain */
            e->armed = -1;
        } else if (fd == e->sfd) {
            struct signalfd_siginfo si;
            ssize_t r = read(fd, &si, sizeof(si));
            (void)r;
            e->stop = true;
        } else {
            uint32_t ev = evs[i].events;
            int flags = (ev & EPOLLIN ? CURL_CSELECT_IN : 0) | (ev & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                        (ev & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            curl_multi_socket_action(e->multi, fd, flags, &running);
        }
    }
    reap(e);
}

static enum err run(struct engine *e, const char **detail)
{
    struct epoll_event evs[EVENTS_PER_WAIT];
    for (;;) {
        drive(e);
        if (e->stop || (e->over && e->in_flight == 0))
            return ERR_OK;
        if (arm(e) < 0) {
            *detail = "timerfd_settime failed";
            return ERR_INTERNAL;
        }
        int n = epoll_wait(e->epfd, evs, EVENTS_PER_WAIT, -1);
        if (n < 0 && errno != EINTR) {
            *detail = "epoll_wait failed";
            return ERR_INTERNAL;
        }
        handle(e, evs, n < 0 ? 0 : n);
    }
}

/* Records what is still in flight as cancelled, and drops a push in flight. */
static void cancel_all(struct engine *e)
{
    int64_t now = loop_mono_ns();
    for (size_t i = 0; i < e->nslots; i++)
        if (e->slots[i]->busy)
            finish_slot(e, e->slots[i], STREAM_END_CANCELLED, now);
    struct push *p = e->s->push;
    if (p && p->busy) {
        curl_multi_remove_handle(e->multi, p->h);
        p->busy = false; /* its answer no longer matters: the group is deleted next */
    }
}

/* ---- connections opened before the start (preconnect) ---- */

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p, (void)arg;
    return size * n;
}

/* One GET <target>/v1/models with the run's connection options, added to the multi; NULL if not. */
static CURL *warm_handle(struct engine *e, size_t target)
{
    char url[4096];
    CURL *h = curl_easy_init();
    snprintf(url, sizeof(url), "%s/v1/models", e->w->targets[target]);
    if (!h)
        return NULL;
    conn_options(e, h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    if (curl_multi_add_handle(e->multi, h) != CURLM_OK) {
        curl_easy_cleanup(h);
        return NULL;
    }
    return h;
}

/* Drives the multi until nothing runs or deadline (CLOCK_MONOTONIC ns) passes; a signal ends it too. */
static void warm_wait(struct engine *e, int64_t deadline)
{
    struct epoll_event evs[EVENTS_PER_WAIT];
    int running = 1;
    curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    while (running > 0 && !e->stop) {
        int64_t now = loop_mono_ns();
        if (now >= deadline)
            return;
        if (e->curl_due >= 0 && e->curl_due <= now) {
            e->curl_due = -1;
            curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
            continue;
        }
        int64_t until = e->curl_due >= 0 && e->curl_due < deadline ? e->curl_due : deadline;
        int n = epoll_wait(e->epfd, evs, EVENTS_PER_WAIT, (int)((until - now + 999999) / 1000000));
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd, flags = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
                                             (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                                             (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
            if (fd == e->sfd)
                e->stop = true; /* read by the run, which then stops at once */
            else if (fd != e->tfd)
                curl_multi_socket_action(e->multi, fd, flags, &running);
        }
    }
}

/* Opens the connections the streams will use before the run starts: one GET <target>/v1/models per
 * stream that may be in flight (concurrency, or max_concurrency in open loop; spread over the
 * targets, rounded up), all at once, so that each leaves an idle keep-alive connection in the
 * multi's cache for the requests to take. At most CONNECT_TIMEOUT_MS; a connection that fails is
 * left to its request. Returns how many answered. */
static long preconnect(struct engine *e)
{
    const struct workload *w = e->w;
    int64_t streams = w->mode == WL_CLOSED ? w->concurrency : w->max_concurrency;
    size_t per = (size_t)((streams + (int64_t)w->ntargets - 1) / (int64_t)w->ntargets), n = 0;
    CURL **hs = calloc(per * w->ntargets + 1, sizeof(*hs));
    long ok = 0;
    if (!hs)
        abort(); /* as the arena */
    for (size_t t = 0; t < w->ntargets; t++) {
        for (size_t i = 0; i < per; i++) {
            hs[n] = warm_handle(e, t);
            if (hs[n] != NULL)
                n++;
        }
    }
    warm_wait(e, loop_mono_ns() + CONNECT_TIMEOUT_MS * 1000000);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(e->multi, &left)) != NULL)
        ok += m->msg == CURLMSG_DONE && m->data.result == CURLE_OK;
    for (size_t i = 0; i < n; i++) {
        curl_multi_remove_handle(e->multi, hs[i]); /* a finished one's connection stays in the cache */
        curl_easy_cleanup(hs[i]);
    }
    free(hs);
    e->curl_due = -1;
    return ok;
}

/* ---- setting up ---- */

/* The body of a request for prompt p, as compact JSON (malloc'd); NULL when jansson fails. */
static char *make_body(const struct workload *w, const struct prompt *p)
{
    json_t *j = json_object();
    json_t *text = out_strn(p->text, p->len); /* bytes that are not UTF-8 read '?' */
    json_object_set_new(j, "model", json_string(w->model));
    if (w->api == WL_CHAT)
        json_object_set_new(j, "messages", json_pack("[{s:s,s:o}]", "role", "user", "content", text));
    else
        json_object_set_new(j, "prompt", text);
    json_object_set_new(j, "max_tokens", json_integer(p->max_tokens > 0 ? p->max_tokens : w->max_tokens));
    json_object_set_new(j, "stream", json_boolean(w->stream));
    if (w->has_temperature)
        json_object_set_new(j, "temperature", json_real(w->temperature));
    if (w->ignore_eos)
        json_object_set_new(j, "ignore_eos", json_true());
    if (w->stream)
        json_object_set_new(j, "stream_options", json_pack("{s:b}", "include_usage", 1));
    /* workload_parse keeps extra_body off the members above; it is const, so a copy is merged */
    if (w->extra_body) {
        json_t *extra = json_deep_copy(w->extra_body);
        json_object_update(j, extra);
        json_decref(extra);
    }
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* One body per prompt the run can reach (fewer than the set when the count is smaller). */
static int make_bodies(struct engine *e)
{
    size_t n = e->s->prompts->n;
    if (e->w->requests > 0 && (uint64_t)e->w->requests < n)
        n = (size_t)e->w->requests;
    e->bodies = calloc(n ? n : 1, sizeof(*e->bodies));
    if (!e->bodies)
        return -1;
    for (size_t i = 0; i < n; i++, e->nbodies++) {
        e->bodies[i].text = make_body(e->w, &e->s->prompts->items[i]);
        if (!e->bodies[i].text)
            return -1;
        e->bodies[i].len = strlen(e->bodies[i].text);
    }
    return 0;
}

static int make_urls(struct engine *e)
{
    const char *path = e->w->api == WL_CHAT ? "/v1/chat/completions" : "/v1/completions";
    e->urls = calloc(e->w->ntargets ? e->w->ntargets : 1, sizeof(*e->urls));
    if (!e->urls)
        return -1;
    for (size_t i = 0; i < e->w->ntargets; i++) {
        size_t n = strlen(e->w->targets[i]) + strlen(path) + 1;
        e->urls[i] = malloc(n);
        if (!e->urls[i])
            return -1;
        snprintf(e->urls[i], n, "%s%s", e->w->targets[i], path);
    }
    return 0;
}

/* The connections the cache keeps: one per stream that can be in flight, per target. */
static long max_connections(const struct workload *w)
{
    int64_t streams = w->mode == WL_CLOSED     ? w->concurrency
                      : w->max_concurrency > 0 ? w->max_concurrency
                                               : WORKLOAD_MAX_CONCURRENCY;
    int64_t n = streams * (int64_t)(w->ntargets ? w->ntargets : 1) + 8;
    return n > 1000000 ? 1000000L : (long)n;
}

static int watch(struct engine *e, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static enum err engine_init(struct engine *e, const struct loop_setup *s, const char **detail)
{
    sigset_t set;
    memset(e, 0, sizeof(*e));
    e->s = s;
    e->w = s->w;
    e->curl_due = e->sched_due = e->armed = -1;
    e->duration = workload_duration(s->w);
    e->next_s = -1;
    arrival_init(&e->arr, s->w);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    e->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (e->epfd < 0 || e->tfd < 0 || e->sfd < 0 || watch(e, e->tfd) < 0 || watch(e, e->sfd) < 0) {
        *detail = "cannot set up epoll, timerfd or signalfd";
        return ERR_INTERNAL;
    }
    e->multi = curl_multi_init();
    e->headers = curl_slist_append(NULL, "Content-Type: application/json");
    e->headers = e->headers ? curl_slist_append(e->headers, "Expect:") : NULL; /* no 100-continue wait */
    if (!e->multi || !e->headers || make_urls(e) < 0 || (s->w->requests >= 0 && make_bodies(e) < 0)) {
        *detail = "cannot set up libcurl or the request bodies";
        return ERR_INTERNAL;
    }
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
    curl_multi_setopt(e->multi, CURLMOPT_MAXCONNECTS, max_connections(s->w));
    return ERR_OK;
}

static void engine_free(struct engine *e)
{
    for (size_t i = 0; i < e->nslots; i++) {
        if (e->multi && e->slots[i]->busy)
            curl_multi_remove_handle(e->multi, e->slots[i]->h);
        curl_easy_cleanup(e->slots[i]->h);
        stream_free(&e->slots[i]->st);
        free(e->slots[i]);
    }
    free(e->slots);
    if (e->multi)
        curl_multi_cleanup(e->multi);
    curl_slist_free_all(e->headers);
    for (size_t i = 0; i < e->nbodies; i++)
        free(e->bodies[i].text);
    free(e->bodies);
    for (size_t i = 0; e->urls && i < e->w->ntargets; i++)
        free(e->urls[i]);
    free(e->urls);
    int fds[3] = {e->epfd, e->tfd, e->sfd};
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* Time 0 of the run: one CLOCK_MONOTONIC reading and one CLOCK_REALTIME reading taken with it. */
static void start_clock(struct engine *e)
{
    e->t0_ns = loop_mono_ns();
    e->t0_us = loop_epoch_us();
    e->push_due = e->t0_ns; /* the first push at once: the series show up as the run starts */
    output_begin(e->s->out, e->t0_us);
}

enum err loop_run(const struct loop_setup *s, struct loop_outcome *o, const char **detail)
{
    struct engine e;
    enum err err = engine_init(&e, s, detail);
    if (err)
        goto out;
    if (s->prompts->n == 0 && s->w->requests >= 0) {
        *detail = "no prompts to send";
        err = ERR_INTERNAL;
        goto out;
    }
    if (s->w->requests < 0)
        e.over = true; /* this rank's share is nothing */
    else if (s->w->preconnect)
        o->preconnected = preconnect(&e);
    start_clock(&e);
    err = run(&e, detail);
    if (err)
        goto out;
    cancel_all(&e);
    o->started_us = e.t0_us;
    o->ended_us = epoch_of(&e, loop_mono_ns());
    o->held_s = e.shift_s;
    o->stopped = e.stop;
out:
    engine_free(&e);
    return err;
}
