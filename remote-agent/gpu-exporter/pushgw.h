/* pushgw: aifb-gpu-exporter's pushes to a Prometheus Pushgateway. The exposition goes by PUT to the
 * group <base>/metrics/job/aifb-gpu-exporter/host/<host>/slurm_job_id/<id or "none">, a blocking
 * libcurl easy call with a short timeout (the main thread makes it; the sampling thread never waits on
 * it), and the group is DELETEd when the exporter stops. Prometheus scrapes the Pushgateway with
 * honor_labels, so host and slurm_job_id stay the series' labels. */
#ifndef AIFB_GPU_PUSHGW_H
#define AIFB_GPU_PUSHGW_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#define PUSHGW_TIMEOUT_MAX_MS 2000 /* of one PUT; the DELETE at the end too */

struct pushgw {
    char *url; /* the group's */
    CURL *h;   /* reused: one connection kept alive between pushes */
    struct curl_slist *headers;
    long timeout_ms;
    bool failing; /* the last push failed (logged once per run of failures) */
};

/* The group URL for host and job_id ("" or NULL: "none") under base (an http(s) URL, trailing '/'
 * dropped), into out. A value with characters other than [A-Za-z0-9._-] goes in the Pushgateway's
 * base64url form (host@base64/...). Returns 0, or -1 when it does not fit n. */
int pushgw_group_url(char *out, size_t n, const char *base, const char *host, const char *job_id);

/* Sets up pushes to the group of host and job_id under base; a push takes at most timeout_ms
 * (capped at PUSHGW_TIMEOUT_MAX_MS). Returns 0, or -1 (no memory, no curl handle). The caller calls
 * curl_global_init first, and pushgw_free after, also when this failed. */
int pushgw_init(struct pushgw *p, const char *base, const char *host, const char *job_id, long timeout_ms);

/* PUTs body (the text exposition, len bytes), blocking for the timeout at most. Returns 0, or -1; a
 * failure is logged when it starts a run of failures, and the recovery after one. */
int pushgw_put(struct pushgw *p, const char *body, size_t len);

/* DELETEs the group, blocking for the timeout at most. Returns 0, or -1 (logged). */
int pushgw_delete(struct pushgw *p);

void pushgw_free(struct pushgw *p);

#endif
