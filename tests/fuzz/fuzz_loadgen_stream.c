/* libFuzzer harness for aifb-loadgen's reading of answers. The bytes are, first, one JSON document:
 * stream_scan must accept exactly what jansson accepts as an object and report the same values;
 * then an SSE stream fed in pieces (cut where the first bytes say) and whole: the pieces must not
 * change what is read; then a whole JSON answer. Each must end in a record that holds together. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/loadgen/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t string_len(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? (int64_t)json_string_length(v) : -1;
}

static int64_t int_or(const json_t *obj, const char *key, int64_t none)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : none;
}

/* What stream_scan must say of j, computed with jansson's own lookups. */
static void facts_of(const json_t *j, struct stream_chunk *c)
{
    json_t *ch = json_object_get(j, "choices");
    json_t *c0 = json_array_get(ch, 0);
    json_t *delta = json_object_get(c0, "delta"), *msg = json_object_get(c0, "message");
    int64_t lens[5] = {string_len(c0, "text"), string_len(delta, "content"), string_len(delta, "reasoning_content"),
                       string_len(msg, "content"), string_len(msg, "reasoning_content")};
    *c = (struct stream_chunk){.choices = json_is_array(ch) ? (int64_t)json_array_size(ch) : -1};
    for (int i = 0; i < 5; i++) {
        c->text |= lens[i] > 0;
        c->text_len += lens[i] > 0 ? lens[i] : 0;
    }
    c->finish = json_is_string(json_object_get(c0, "finish_reason"));
    json_t *usage = json_object_get(j, "usage");
    c->prompt_tokens = int_or(usage, "prompt_tokens", -1);
    c->completion_tokens = int_or(usage, "completion_tokens", -1);
    json_t *err = json_object_get(j, "error");
    const char *object = json_string_value(json_object_get(j, "object"));
    if (err && !json_is_null(err)) {
        c->error = true;
        c->error_code = int_or(err, "code", 0);
    } else if (object && strcmp(object, "error") == 0 && json_string_length(json_object_get(j, "object")) == 5) {
        c->error = true;
        c->error_code = int_or(j, "code", 0);
    }
}

static void differential(const char *p, size_t n)
{
    struct stream_chunk got, want;
    json_error_t jerr;
    json_t *j = json_loadb(p, n, 0, &jerr);
    int rc = stream_scan(p, n, &got);
    /* jansson 2.14 skips one NUL byte right after a number or literal (its unget loses it); the
     * scanner refuses every NUL outside strings, and so does jansson elsewhere */
    bool jansson_quirk = rc < 0 && memchr(p, '\0', n);
    if ((rc == 0) != json_is_object(j) && !jansson_quirk)
        abort(); /* the scanner and jansson disagree on validity */
    if (rc == 0) {
        facts_of(j, &want);
        if (got.choices != want.choices || got.text != want.text || got.text_len != want.text_len ||
            got.finish != want.finish || got.prompt_tokens != want.prompt_tokens ||
            got.completion_tokens != want.completion_tokens || got.error != want.error ||
            got.error_code != want.error_code)
            abort(); /* ... or on a value */
    }
    json_decref(j);
}

/* Feeds p as an SSE answer in pieces cut at the given points, ends it, and returns the record. */
static void read_sse(struct stream *s, const char *p, size_t n, const size_t *cuts, size_t ncuts, struct record *r)
{
    stream_reset(s, true);
    stream_head(s, 200, "text/event-stream");
    size_t at = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts && cuts[i] < n ? cuts[i] : n;
        if (to < at)
            continue;
        if (stream_feed(s, p + at, to - at, 1000000 + (int64_t)i) < 0)
            break;
        at = to;
    }
    stream_finish(s, STREAM_END_OK, 7, r);
}

static void check_record(const struct record *r)
{
    if (r->prompt_tokens < -1 || (r->first_chunk_us == 0) != (r->last_chunk_us == 0) ||
        (r->first_chunk_us && r->last_chunk_us < r->first_chunk_us) || (!r->first_chunk_us && r->n_itl))
        abort();
    for (uint32_t i = 0; i < r->n_itl; i++)
        if (r->itl_us[i] < 0)
            abort();
}

static int same_class(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void pieces(const char *p, size_t n)
{
    static struct stream a, b;
    static int ready;
    if (!ready) {
        stream_init(&a, true);
        stream_init(&b, true);
        ready = 1;
    }
    size_t cuts[4];
    for (int i = 0; i < 4; i++)
        cuts[i] = n ? (size_t)(i < (int)n ? (unsigned char)p[i] : 0) * n / 256 : 0;
    struct record whole, cut;
    read_sse(&a, p, n, NULL, 0, &whole);
    read_sse(&b, p, n, cuts, 4, &cut);
    check_record(&whole);
    check_record(&cut);
    /* the same events whatever the cuts; only the times may differ */
    if (!same_class(whole.error_class, cut.error_class) || whole.n_itl != cut.n_itl ||
        whole.completion_tokens != cut.completion_tokens || whole.prompt_tokens != cut.prompt_tokens ||
        (whole.first_chunk_us == 0) != (cut.first_chunk_us == 0) || a.done != b.done || a.finished != b.finished)
        abort();
    stream_reset(&a, false);
    stream_head(&a, 200, "application/json");
    stream_feed(&a, p, n, 5);
    stream_finish(&a, STREAM_END_OK, -1, &whole);
    check_record(&whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    differential((const char *)data, size);
    pieces((const char *)data, size);
    return 0;
}
