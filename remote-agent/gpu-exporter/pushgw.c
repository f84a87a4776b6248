/* pushgw: the PUT and DELETE of aifb-gpu-exporter's Pushgateway group, with libcurl's easy interface. */
#include "pushgw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define URL_MAX 4096

static bool plain(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') && !strchr("._-", *s))
            return false;
    return true;
}

/* The Pushgateway's URL-safe base64 (RFC 4648 section 5, with padding) of s into out. Returns 0, or
 * -1 when it does not fit n. */
static int base64url(char *out, size_t n, const char *s)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t len = strlen(s), k = 0;
    if ((len + 2) / 3 * 4 + 1 > n)
        return -1;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < len)
            v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < len)
            v |= (unsigned char)s[i + 2];
        out[k++] = abc[(v >> 18) & 63];
        out[k++] = abc[(v >> 12) & 63];
        out[k++] = i + 1 < len ? abc[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < len ? abc[v & 63] : '=';
    }
    out[k] = '\0';
    return 0;
}

/* "/name/value", or "/name@base64/..." for a value the path cannot carry as it is. */
static int segment(char *out, size_t n, const char *name, const char *value)
{
    char enc[1024];
    if (plain(value))
        return snprintf(out, n, "/%s/%s", name, value) < (int)n ? 0 : -1;
    if (base64url(enc, sizeof(enc), value) < 0)
        return -1;
    /* An empty value is "=" in this form: base64 of nothing would leave an empty path segment. */
    return snprintf(out, n, "/%s@base64/%s", name, *value ? enc : "=") < (int)n ? 0 : -1;
}

int pushgw_group_url(char *out, size_t n, const char *base, const char *host, const char *job_id)
{
    char h[1100], j[1100];
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    if (segment(h, sizeof(h), "host", host) < 0 ||
        segment(j, sizeof(j), "slurm_job_id", job_id && *job_id ? job_id : "none") < 0)
        return -1;
    int w = snprintf(out, n, "%.*s/metrics/job/aifb-gpu-exporter%s%s", (int)blen, base, h, j);
    return w >= 0 && (size_t)w < n ? 0 : -1;
}

int pushgw_init(struct pushgw *p, const char *base, const char *host, const char *job_id, long timeout_ms)
{
    memset(p, 0, sizeof(*p));
    p->timeout_ms = timeout_ms < PUSHGW_TIMEOUT_MAX_MS ? timeout_ms : PUSHGW_TIMEOUT_MAX_MS;
    p->url = malloc(URL_MAX);
    p->h = curl_easy_init();
    if (!p->url || !p->h || pushgw_group_url(p->url, URL_MAX, base, host, job_id) < 0)
        return -1;
    p->headers = curl_slist_append(NULL, "Content-Type: text/plain; version=0.0.4");
    if (p->headers) /* no wait for a 100 Continue the server may never send */
        p->headers = curl_slist_append(p->headers, "Expect:");
    return p->headers ? 0 : -1;
}

void pushgw_free(struct pushgw *p)
{
    if (p->h)
        curl_easy_cleanup(p->h);
    curl_slist_free_all(p->headers);
    free(p->url);
    memset(p, 0, sizeof(*p));
}

/* One request on the reused handle. Returns 0 for a 2xx answer, else -1 with why[]. */
static int perform(struct pushgw *p, const char *method, const char *body, size_t len, char *why, size_t n)
{
    CURL *h = p->h;
    long status = 0;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, p->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, p->headers);
    }
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, p->timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*"); /* the Pushgateway is on the cluster's own network */
    CURLcode res = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (res != CURLE_OK)
        snprintf(why, n, "%s", curl_easy_strerror(res));
    else if (status < 200 || status > 299)
        snprintf(why, n, "HTTP %ld", status);
    return res == CURLE_OK && status >= 200 && status <= 299 ? 0 : -1;
}

int pushgw_put(struct pushgw *p, const char *body, size_t len)
{
    char why[256];
    int rc = perform(p, "PUT", body, len, why, sizeof(why));
    if (rc < 0 && !p->failing)
        log_warn("a push to %s failed: %s (further failures are not logged until a push succeeds)", p->url, why);
    else if (rc == 0 && p->failing)
        log_info("pushes to %s work again", p->url);
    p->failing = rc < 0;
    return rc;
}

int pushgw_delete(struct pushgw *p)
{
    char why[256];
    if (perform(p, "DELETE", NULL, 0, why, sizeof(why)) == 0)
        return 0;
    log_warn("the DELETE of %s failed: %s", p->url, why);
    return -1;
}
