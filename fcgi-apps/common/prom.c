/* prom: one libcurl easy handle per call (a collection makes a handful of calls, each far longer than a
 * connection's setup); the query goes as a form POST, so that its length is not bounded by a URL's. */
#include "prom.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

static size_t take(char *data, size_t size, size_t n, void *ctx)
{
    return buf_append(ctx, data, size * n) < 0 ? 0 : size * n;
}

size_t prom_steps(const struct prom_window *w)
{
    if (!(w->step > 0) || w->end < w->start)
        return 0;
    return (size_t)floor((w->end - w->start) / w->step + 1e-9) + 1;
}

const char *prom_value_sql(const char *v)
{
    if (strcmp(v, "+Inf") == 0)
        return "Infinity";
    if (strcmp(v, "-Inf") == 0)
        return "-Infinity";
    return v;
}

/* The form body: query=...&start=...&end=...&step=... (to the microsecond). */
static char *form(CURL *h, struct arena *a, const char *query, const struct prom_window *w)
{
    char *q = curl_easy_escape(h, query, 0);
    if (!q)
        return NULL;
    char *body = arena_printf(a, "query=%s&start=%.6f&end=%.6f&step=%.6f", q, w->start, w->end, w->step);
    curl_free(q);
    return body;
}

/* Prometheus's answer as data.result, or the error it names. */
static enum err parse(struct buf *b, long status, struct arena *a, json_t **result, const char **detail)
{
    json_error_t je;
    json_t *doc = json_loadb(b->data ? b->data : "", b->len, 0, &je);
    const char *st = json_string_value(json_object_get(doc, "status"));
    enum err e = ERR_OK;
    if (!st) {
        *detail = arena_printf(a, "Prometheus answered HTTP %ld with no API document", status);
        e = ERR_PROMETHEUS_UNAVAILABLE;
    } else if (strcmp(st, "success") != 0) {
        const char *type = json_string_value(json_object_get(doc, "errorType"));
        const char *msg = json_string_value(json_object_get(doc, "error"));
        *detail = arena_printf(a, "Prometheus: %s: %s", type ? type : "error", msg ? msg : "(no message)");
        e = type && strcmp(type, "bad_data") == 0 ? ERR_INVALID_INPUT : ERR_PROMETHEUS_UNAVAILABLE;
    } else {
        json_t *res = json_object_get(json_object_get(doc, "data"), "result");
        if (!json_is_array(res)) {
            *detail = "Prometheus's answer has no data.result array";
            e = ERR_PROMETHEUS_UNAVAILABLE;
        } else {
            *result = json_incref(res);
        }
    }
    json_decref(doc);
    return e;
}

enum err prom_query_range(const char *base, const char *query, const struct prom_window *w, long timeout_ms,
                          struct arena *a, json_t **result, const char **detail)
{
    *result = NULL;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    CURL *h = curl_easy_init();
    struct buf b;
    buf_init(&b, PROM_ANSWER_MAX);
    char *body = h ? form(h, a, query, w) : NULL;
    if (!body) {
        if (h)
            curl_easy_cleanup(h);
        *detail = "out of memory";
        return ERR_INTERNAL;
    }
    curl_easy_setopt(h, CURLOPT_URL, arena_printf(a, "%.*s/api/v1/query_range", (int)n, base));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    enum err e;
    if (rc != CURLE_OK) {
        *detail = arena_printf(a, "Prometheus at %.*s: %s", (int)n, base, curl_easy_strerror(rc));
        e = ERR_PROMETHEUS_UNAVAILABLE;
    } else {
        e = parse(&b, status, a, result, detail);
    }
    buf_free(&b);
    return e;
}
