/* stream: an answer of an OpenAI-compatible server read as it arrives: what its JSON chunks say (the
 * members that matter, read with jscan's validating scanner), the SSE framing, and the verdict. The
 * fuzz harness holds stream_scan to jansson's verdict and values. */
#include "stream.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jscan.h"

/* ---- what a chunk says ---- */

/* The facts of choices[0]'s members that carry text: -1 absent or not a string, else decoded bytes. */
struct texts {
    int64_t text, delta_content, delta_reasoning, msg_content, msg_reasoning;
};

struct facts {
    struct stream_chunk *c;
    struct texts t;
    int64_t object_is_error; /* "object": "error" (old vLLM error shape) */
    int64_t top_code;        /* its top-level "code"; 0 none */
    bool error_member;       /* "error" is not null */
    int64_t error_code;      /* "error"."code" */
};

static int64_t string_len_or_none(const struct jscan_val *v)
{
    return v->type == JSCAN_STRING ? v->s.len : -1;
}

/* Members of "delta" or "message": content and reasoning_content. ctx: two int64_t. */
static int message_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    int64_t *lens = ctx;
    struct jscan_val v;
    if (jscan_value(sc, depth, &v) < 0)
        return -1;
    if (jscan_str_is(key, "content"))
        lens[0] = string_len_or_none(&v);
    else if (jscan_str_is(key, "reasoning_content"))
        lens[1] = string_len_or_none(&v);
    return 0;
}

static int choice_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    struct facts *f = ctx;
    struct jscan_val v;
    bool delta = jscan_str_is(key, "delta"), message = !delta && jscan_str_is(key, "message");
    if (delta || message) {
        int64_t lens[2] = {-1, -1};
        if (jscan_object(sc, depth, message_member, lens, &v) < 0)
            return -1;
        *(delta ? &f->t.delta_content : &f->t.msg_content) = lens[0];
        *(delta ? &f->t.delta_reasoning : &f->t.msg_reasoning) = lens[1];
        return 0;
    }
    if (jscan_value(sc, depth, &v) < 0)
        return -1;
    if (jscan_str_is(key, "text"))
        f->t.text = string_len_or_none(&v);
    else if (jscan_str_is(key, "finish_reason"))
        f->c->finish = v.type == JSCAN_STRING;
    return 0;
}

static const struct texts no_texts = {-1, -1, -1, -1, -1};

static int choice_element(struct jscan *sc, int depth, int64_t i, void *ctx)
{
    struct facts *f = ctx;
    struct jscan_val v;
    if (i != 0)
        return jscan_value(sc, depth, &v);
    /* choices[0] that is not an object has no text and no finish */
    return jscan_object(sc, depth, choice_member, f, &v);
}

static int usage_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    struct stream_chunk *c = ctx;
    struct jscan_val v;
    if (jscan_value(sc, depth, &v) < 0)
        return -1;
    if (jscan_str_is(key, "prompt_tokens"))
        c->prompt_tokens = v.type == JSCAN_INT ? v.i : -1;
    else if (jscan_str_is(key, "completion_tokens"))
        c->completion_tokens = v.type == JSCAN_INT ? v.i : -1;
    return 0;
}

static int error_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    int64_t *code = ctx;
    struct jscan_val v;
    if (jscan_value(sc, depth, &v) < 0)
        return -1;
    if (jscan_str_is(key, "code"))
        *code = v.type == JSCAN_INT ? v.i : 0;
    return 0;
}

/* "choices": the count, and choices[0]'s facts; a later "choices" replaces an earlier one's. */
static int top_choices(struct jscan *sc, int depth, struct facts *f)
{
    struct jscan_val v;
    f->t = no_texts;
    f->c->finish = false;
    if (jscan_array(sc, depth, choice_element, f, &v) < 0)
        return -1;
    f->c->choices = v.type == JSCAN_ARRAY ? v.i : -1;
    return 0;
}

static int top_member(struct jscan *sc, int depth, const struct jscan_str *key, void *ctx)
{
    struct facts *f = ctx;
    struct jscan_val v;
    if (jscan_str_is(key, "choices"))
        return top_choices(sc, depth, f);
    if (jscan_str_is(key, "usage")) {
        f->c->prompt_tokens = f->c->completion_tokens = -1;
        return jscan_object(sc, depth, usage_member, f->c, &v);
    }
    if (jscan_str_is(key, "error")) {
        f->error_code = 0;
        if (jscan_object(sc, depth, error_member, &f->error_code, &v) < 0)
            return -1;
        f->error_member = v.type != JSCAN_NULL;
        return 0;
    }
    if (jscan_value(sc, depth, &v) < 0)
        return -1;
    if (jscan_str_is(key, "object"))
        f->object_is_error = v.type == JSCAN_STRING && jscan_str_is(&v.s, "error");
    else if (jscan_str_is(key, "code"))
        f->top_code = v.type == JSCAN_INT ? v.i : 0;
    return 0;
}

static int64_t add_len(int64_t sum, int64_t len)
{
    return len > 0 ? sum + len : sum;
}

int stream_scan(const char *p, size_t n, struct stream_chunk *c)
{
    struct facts f = {.c = c, .t = no_texts};
    *c = (struct stream_chunk){.choices = -1, .prompt_tokens = -1, .completion_tokens = -1};
    if (jscan_document(p, n, top_member, &f) < 0)
        return -1;
    const struct texts *t = &f.t;
    c->text =
        t->text > 0 || t->delta_content > 0 || t->delta_reasoning > 0 || t->msg_content > 0 || t->msg_reasoning > 0;
    c->text_len =
        add_len(add_len(add_len(add_len(add_len(0, t->text), t->delta_content), t->delta_reasoning), t->msg_content),
                t->msg_reasoning);
    if (f.error_member) {
        c->error = true;
        c->error_code = f.error_code;
    } else if (f.object_is_error) {
        c->error = true;
        c->error_code = f.top_code;
    }
    return 0;
}

/* ---- the answer ---- */

static const char *const CLASS_HTTP = "http_error", *const CLASS_PROTOCOL = "protocol";

void stream_init(struct stream *s, bool want_sse)
{
    memset(s, 0, sizeof(*s));
    buf_init(&s->line, STREAM_EVENT_MAX);
    buf_init(&s->data, STREAM_EVENT_MAX);
    buf_init(&s->body, STREAM_BODY_MAX);
    stream_reset(s, want_sse);
}

void stream_reset(struct stream *s, bool want_sse)
{
    buf_clear(&s->line);
    buf_clear(&s->data);
    if (s->body.cap > STREAM_EVENT_MAX) {
        buf_free(&s->body); /* one huge answer should not pin its memory for the rest of the run */
        buf_init(&s->body, STREAM_BODY_MAX);
    }
    buf_clear(&s->body);
    s->want_sse = want_sse;
    s->head_seen = s->sse = false;
    s->http_status = 0;
    s->error = NULL;
    s->error_status = 0;
    s->has_data = s->cr = s->any_line = false;
    s->first_us = s->last_us = s->last_read_us = 0;
    s->n_itl = 0;
    s->text_chunks = s->text_len = 0;
    s->usage_prompt = s->usage_completion = -1;
    s->live_tokens = 0;
    s->finished = s->done = false;
}

void stream_free(struct stream *s)
{
    buf_free(&s->line);
    buf_free(&s->data);
    buf_free(&s->body);
    free(s->itl);
    s->itl = NULL;
    s->cap_itl = s->n_itl = 0;
}

void stream_head(struct stream *s, int http_status, const char *content_type)
{
    s->head_seen = true;
    s->http_status = http_status;
    if (content_type)
        s->sse = strncasecmp(content_type, "text/event-stream", 17) == 0;
    else
        s->sse = s->want_sse;
}

static bool ok_status(int status)
{
    return status >= 200 && status <= 299;
}

static void add_gap(struct stream *s, int64_t gap)
{
    if (s->n_itl == STREAM_ITL_MAX)
        return;
    if (s->n_itl == s->cap_itl) {
        uint32_t cap = s->cap_itl ? s->cap_itl * 2 : 64;
        int32_t *v = realloc(s->itl, (size_t)cap * sizeof(*v));
        if (!v)
            abort(); /* as the arena: a load generator without memory has nothing useful left to do */
        s->itl = v;
        s->cap_itl = cap;
    }
    s->itl[s->n_itl++] = gap < 0 ? 0 : gap > INT32_MAX ? INT32_MAX : (int32_t)gap;
}

/* An error object in a 2xx answer: the status it names when that is an HTTP error status. */
static void error_object(struct stream *s, int64_t code)
{
    if (code >= 400 && code <= 599) {
        s->error = CLASS_HTTP;
        s->error_status = (int)code;
    } else {
        s->error = CLASS_PROTOCOL;
    }
}

/* The live count of output tokens after chunk c: its usage's completion count when it has one (the
 * count never goes down), else one more for a chunk with text. */
static void count_live(struct stream *s, const struct stream_chunk *c)
{
    if (c->completion_tokens >= 0) {
        if (c->completion_tokens > s->live_tokens)
            s->live_tokens = c->completion_tokens;
    } else if (c->choices > 0 && c->text) {
        s->live_tokens++;
    }
}

/* A chunk of a stream: a content chunk (non-empty choices) is a TTFT or ITL point. */
static void take_chunk(struct stream *s, const struct stream_chunk *c, int64_t now)
{
    if (c->error) {
        error_object(s, c->error_code);
        return;
    }
    if (c->choices > 0) {
        if (s->first_us == 0)
            s->first_us = now;
        else
            add_gap(s, now - s->last_us);
        s->last_us = now;
        if (c->text) {
            s->text_chunks++;
            s->text_len += c->text_len;
        }
        if (c->finish)
            s->finished = true;
    }
    count_live(s, c);
    if (c->prompt_tokens >= 0)
        s->usage_prompt = c->prompt_tokens;
    if (c->completion_tokens >= 0)
        s->usage_completion = c->completion_tokens;
}

/* The event whose data lines have been gathered. Empty events and anything after [DONE] or an
 * error say nothing. */
static void dispatch(struct stream *s, int64_t now)
{
    if (!s->has_data)
        return;
    s->has_data = false;
    const char *d = s->data.data;
    size_t n = s->data.len;
    struct stream_chunk c;
    if (n > 0 && !s->done && !s->error) {
        if (n == 6 && memcmp(d, "[DONE]", 6) == 0)
            s->done = true;
        else if (stream_scan(d, n, &c) < 0)
            s->error = CLASS_PROTOCOL;
        else
            take_chunk(s, &c, now);
    }
    buf_clear(&s->data);
}

/* One line of the event stream, its end taken off. Only data fields matter; comments (":..."),
 * event, id and retry fields are skipped. */
static void take_line(struct stream *s, const char *line, size_t len, int64_t now)
{
    if (!s->any_line) {
        s->any_line = true;
        if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
    }
    if (len == 0) {
        dispatch(s, now);
        return;
    }
    const char *colon = memchr(line, ':', len);
    size_t flen = colon ? (size_t)(colon - line) : len;
    if (flen != 4 || memcmp(line, "data", 4) != 0)
        return;
    const char *v = colon ? colon + 1 : line + len;
    size_t vlen = (size_t)(line + len - v);
    if (vlen && *v == ' ') {
        v++;
        vlen--;
    }
    if ((s->has_data && buf_append(&s->data, "\n", 1) < 0) || buf_append(&s->data, v, vlen) < 0)
        s->error = CLASS_PROTOCOL;
    s->has_data = true;
}

/* The end of the line starting at p (n bytes): its CR or LF, or NULL when it has none yet. */
static const char *line_end(const char *p, size_t n)
{
    const char *nl = memchr(p, '\n', n);
    const char *cr = memchr(p, '\r', nl ? (size_t)(nl - p) : n);
    return cr ? cr : nl;
}

static int feed_sse(struct stream *s, const char *p, size_t n, int64_t now)
{
    int64_t before = s->live_tokens;
    while (n > 0 && s->error != CLASS_PROTOCOL) {
        if (s->cr) {
            s->cr = false;
            if (*p == '\n') {
                p++;
                n--;
                continue;
            }
        }
        const char *eol = line_end(p, n);
        if (!eol) {
            if (buf_append(&s->line, p, n) < 0)
                s->error = CLASS_PROTOCOL; /* a line over STREAM_EVENT_MAX */
            break;
        }
        size_t len = (size_t)(eol - p);
        if (s->line.len == 0) {
            take_line(s, p, len, now); /* the usual case: the whole line is in this read */
        } else if (buf_append(&s->line, p, len) < 0) {
            s->error = CLASS_PROTOCOL;
        } else {
            take_line(s, s->line.data, s->line.len, now);
            buf_clear(&s->line);
        }
        s->cr = *eol == '\r';
        p = eol + 1;
        n -= len + 1;
    }
    int64_t got = s->live_tokens - before;
    return s->error == CLASS_PROTOCOL ? -1 : got > INT32_MAX ? INT32_MAX : (int)got;
}

int stream_feed(struct stream *s, const char *p, size_t n, int64_t now_us)
{
    if (!s->head_seen)
        stream_head(s, 0, NULL);
    s->last_read_us = now_us;
    if (s->error == CLASS_PROTOCOL)
        return -1;
    if (!ok_status(s->http_status))
        return 0; /* read and dropped, so that the connection can serve the next request */
    if (s->sse)
        return feed_sse(s, p, n, now_us);
    if (buf_append(&s->body, p, n) < 0) {
        s->error = CLASS_PROTOCOL;
        return -1;
    }
    return 0;
}

/* The end of a complete stream: a last event not followed by its blank line still counts. */
static const char *finish_sse(struct stream *s)
{
    if (s->line.len) {
        take_line(s, s->line.data, s->line.len, s->last_read_us);
        buf_clear(&s->line);
    }
    dispatch(s, s->last_read_us);
    if (s->error)
        return s->error;
    return s->finished || s->done ? NULL : "stream_cut";
}

/* A complete whole answer: one JSON object with choices, its time the answer's end. */
static const char *finish_body(struct stream *s)
{
    struct stream_chunk c;
    if (stream_scan(s->body.data ? s->body.data : "", s->body.len, &c) < 0)
        return CLASS_PROTOCOL;
    if (c.error) {
        error_object(s, c.error_code);
        return s->error;
    }
    if (c.choices <= 0)
        return CLASS_PROTOCOL;
    s->first_us = s->last_us = s->last_read_us;
    s->text_chunks = c.text ? 1 : 0;
    s->text_len = c.text_len;
    s->usage_prompt = c.prompt_tokens;
    s->usage_completion = c.completion_tokens;
    return NULL;
}

static const char *verdict(struct stream *s, enum stream_end how)
{
    if (how == STREAM_END_CANCELLED)
        return "cancelled";
    if (s->head_seen && s->http_status != 0 && !ok_status(s->http_status))
        return CLASS_HTTP;
    if (how == STREAM_END_CONNECT)
        return "connect";
    if (how == STREAM_END_TIMEOUT)
        return "timeout";
    if (s->error)
        return s->error;
    if (how == STREAM_END_CUT)
        return "stream_cut";
    if (how != STREAM_END_OK || !s->head_seen || s->http_status == 0)
        return CLASS_PROTOCOL;
    return s->sse ? finish_sse(s) : finish_body(s);
}

void stream_finish(struct stream *s, enum stream_end how, int64_t prompt_estimate, struct record *r)
{
    r->error_class = verdict(s, how);
    r->http_status = s->error == CLASS_HTTP && r->error_class == CLASS_HTTP && ok_status(s->http_status)
                         ? s->error_status
                         : s->http_status;
    r->first_chunk_us = s->first_us;
    r->last_chunk_us = s->last_us;
    r->itl_us = s->itl;
    r->n_itl = s->n_itl;
    int64_t completion = s->sse ? s->text_chunks : (s->text_len + 3) / 4;
    r->prompt_tokens = s->usage_prompt >= 0 ? s->usage_prompt : prompt_estimate;
    r->completion_tokens = s->usage_completion >= 0 ? s->usage_completion : completion;
    r->tokens_estimated = s->usage_prompt < 0 || s->usage_completion < 0;
}
