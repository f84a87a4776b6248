/* models: one GET of /v1/models. */
#include "models.h"

#include <curl/curl.h>
#include <jansson.h>

#include "buf.h"

#define MODELS_MAX (1u << 20)

static size_t take(char *data, size_t size, size_t n, void *ctx)
{
    return buf_append(ctx, data, size * n) < 0 ? 0 : size * n;
}

enum err models_first(struct arena *a, const char *base_url, double timeout_s, const char **model, const char **detail)
{
    struct buf b;
    buf_init(&b, MODELS_MAX);
    CURL *h = curl_easy_init();
    long status = 0;
    CURLcode rc = CURLE_FAILED_INIT;
    if (h) {
        curl_easy_setopt(h, CURLOPT_URL, arena_printf(a, "%s/v1/models", base_url));
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, take);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000));
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
    }
    enum err e = ERR_OK;
    json_t *doc = NULL;
    if (rc != CURLE_OK || status != 200) {
        *detail = arena_printf(a, "field=workload.model: not given, and %s/v1/models answered %s", base_url,
                               rc != CURLE_OK ? curl_easy_strerror(rc) : arena_printf(a, "status %ld", status));
        e = ERR_SERVICE_UNREACHABLE;
    } else {
        doc = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
        const char *id = json_string_value(json_object_get(json_array_get(json_object_get(doc, "data"), 0), "id"));
        if (id && *id)
            *model = arena_strdup(a, id);
        else
            *detail = "field=workload.model: not given, and the target's /v1/models names no model";
        e = id && *id ? ERR_OK : ERR_INVALID_INPUT;
    }
    json_decref(doc);
    buf_free(&b);
    return e;
}
