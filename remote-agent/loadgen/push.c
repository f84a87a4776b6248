/* push: the exposition text of aifb-loadgen's live metrics and the PUT and DELETE that carry it to
 * the Pushgateway. */
#include "push.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Seconds. From a fast ITL to a long generation. */
static const double bounds[PUSH_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25,
                                            0.5,   0.75,   1,     2.5,  5,     10,   20,    30,  60};

int push_init(struct push *p, const char *base, int64_t run_id, int rank, long timeout_ms)
{
    memset(p, 0, sizeof(*p));
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    size_t cap = n + 128;
    p->url = malloc(cap);
    p->h = curl_easy_init();
    if (!p->url || !p->h)
        return -1;
    snprintf(p->url, cap, "%.*s/metrics/job/aifb-loadgen/run_id/%" PRId64 "/rank/%d", (int)n, base, run_id, rank);
    p->timeout_ms = timeout_ms;
    p->headers = curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4");
    if (p->headers) /* no second-long wait for a 100 Continue the server may never send */
        p->headers = curl_slist_append(p->headers, "Expect:");
    buf_init(&p->body, PUSH_BODY_MAX);
    return p->headers ? 0 : -1;
}

void push_free(struct push *p)
{
    if (p->h)
        curl_easy_cleanup(p->h);
    curl_slist_free_all(p->headers);
    buf_free(&p->body);
    free(p->url);
    memset(p, 0, sizeof(*p));
}

static void observe(struct push_hist *h, double seconds)
{
    size_t i = 0;
    while (i < PUSH_BUCKETS && seconds > bounds[i])
        i++;
    h->counts[i]++;
    h->count++;
    h->sum += seconds;
}

void push_observe(struct push *p, const struct record *r)
{
    if (r->error_class)
        return;
    if (r->first_chunk_us)
        observe(&p->ttft, (double)(r->first_chunk_us - r->sent_us) / 1e6);
    int64_t end = r->last_chunk_us ? r->last_chunk_us : r->done_us;
    observe(&p->e2el, (double)(end - r->sent_us) / 1e6);
    for (uint32_t i = 0; i < r->n_itl; i++)
        observe(&p->itl, (double)r->itl_us[i] / 1e6);
}

static void metric(struct buf *out, const char *name, const char *type, const char *help, int64_t v)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n%s %" PRId64 "\n", name, help, name, type, name, v);
}

static void histogram(struct buf *out, const char *name, const char *help, const struct push_hist *h)
{
    uint64_t cum = 0;
    buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (size_t i = 0; i < PUSH_BUCKETS; i++) {
        cum += h->counts[i];
        buf_printf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, bounds[i], cum);
    }
    buf_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.9g\n%s_count %" PRIu64 "\n", name, h->count, name,
               h->sum, name, h->count);
}

int push_render(const struct push *p, const struct push_counts *c, struct buf *out)
{
    buf_clear(out);
    metric(out, "aifb_loadgen_requests_started_total", "counter", "Requests handed to the HTTP client.", c->started);
    metric(out, "aifb_loadgen_requests_completed_total", "counter", "Requests answered in full.", c->completed);
    metric(out, "aifb_loadgen_requests_failed_total", "counter", "Requests that ended with an error class.", c->failed);
    metric(out, "aifb_loadgen_requests_in_flight", "gauge", "Requests sent and not finished.", c->in_flight);
    metric(out, "aifb_loadgen_output_tokens_total", "counter",
           "Output tokens received: a chunk's usage when it has one, else one per chunk with text; the rest of an "
           "answer's count at its end.",
           c->output_tokens);
    histogram(out, "aifb_loadgen_ttft_seconds", "Time from sending to the first chunk with choices.", &p->ttft);
    histogram(out, "aifb_loadgen_itl_seconds", "Gaps between chunks with choices.", &p->itl);
    histogram(out, "aifb_loadgen_e2el_seconds", "Time from sending to the last chunk with choices.", &p->e2el);
    return out->overflow ? -1 : 0;
}

CURL *push_start(struct push *p, const struct push_counts *c)
{
    if (p->busy || push_render(p, c, &p->body) < 0)
        return NULL;
    CURL *h = p->h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, p->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, p->body.data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->body.len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, p->timeout_ms);
    curl_easy_setopt(h, CURLOPT_PRIVATE, p);
    p->busy = true;
    return h;
}

static void warn_once(struct push *p, const char *what, CURLcode res, long status)
{
    if (p->warned)
        return;
    p->warned = true;
    if (res != CURLE_OK)
        log_warn("%s to the Pushgateway failed: %s (reported once)", what, curl_easy_strerror(res));
    else
        log_warn("%s to the Pushgateway answered HTTP %ld (reported once)", what, status);
}

void push_done(struct push *p, CURLcode res, long status)
{
    p->busy = false;
    if (res != CURLE_OK || status < 200 || status > 299)
        warn_once(p, "a push", res, status);
}

int push_delete(struct push *p)
{
    CURL *h = curl_easy_init();
    long status = 0;
    if (!h)
        return -1;
    curl_easy_setopt(h, CURLOPT_URL, p->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)PUSH_DELETE_TIMEOUT_MS);
    CURLcode res = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (res == CURLE_OK && status >= 200 && status <= 299)
        return 0;
    p->warned = false; /* the last word on the group is worth a line of its own */
    warn_once(p, "the DELETE of this rank's group", res, status);
    return -1;
}
