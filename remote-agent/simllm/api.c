/* api: request parsing and vLLM's response JSON for aifb-simllm. The hot path (one chunk per token)
 * is formatted by hand; documents that carry a client's or the operator's strings go through jansson
 * so that they are escaped right. Field order follows vLLM's pydantic models. */
#include "api.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    T_NULL = 1,
    T_BOOL = 2,
    T_INT = 4,
    T_NUM = 8, /* an integer or a real */
    T_STR = 16,
    T_ARR = 32,
    T_OBJ = 64,
};

struct member {
    const char *name;
    unsigned types;
};

/* Members both endpoints take (vLLM's sampling parameters); the simulator reads only some. */
static const struct member common_members[] = {
    {"model", T_STR | T_NULL},
    {"max_tokens", T_INT | T_NULL},
    {"stream", T_BOOL | T_NULL},
    {"stream_options", T_OBJ | T_NULL},
    {"ignore_eos", T_BOOL | T_NULL},
    {"temperature", T_NUM | T_NULL},
    {"top_p", T_NUM | T_NULL},
    {"top_k", T_INT | T_NULL},
    {"min_p", T_NUM | T_NULL},
    {"seed", T_INT | T_NULL},
    {"n", T_INT | T_NULL},
    {"best_of", T_INT | T_NULL},
    {"stop", T_STR | T_ARR | T_NULL},
    {"stop_token_ids", T_ARR | T_NULL},
    {"presence_penalty", T_NUM | T_NULL},
    {"frequency_penalty", T_NUM | T_NULL},
    {"repetition_penalty", T_NUM | T_NULL},
    {"min_tokens", T_INT | T_NULL},
    {"skip_special_tokens", T_BOOL | T_NULL},
    {"logit_bias", T_OBJ | T_NULL},
    {"user", T_STR | T_NULL},
    {NULL, 0},
};

static const struct member completion_members[] = {
    {"prompt", T_STR | T_ARR},
    {"echo", T_BOOL | T_NULL},
    {"logprobs", T_INT | T_NULL},
    {"suffix", T_STR | T_NULL},
    {NULL, 0},
};

static const struct member chat_members[] = {
    {"messages", T_ARR},
    {"max_completion_tokens", T_INT | T_NULL},
    {"logprobs", T_BOOL | T_NULL},
    {"top_logprobs", T_INT | T_NULL},
    {"tools", T_ARR | T_NULL},
    {"tool_choice", T_STR | T_OBJ | T_NULL},
    {"response_format", T_OBJ | T_NULL},
    {NULL, 0},
};

static int fail(struct api_error *e, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(struct api_error *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    e->status = status;
    e->type = api_error_type(status);
    return -1;
}

static unsigned type_bit(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return T_NULL;
    case JSON_TRUE:
    case JSON_FALSE:
        return T_BOOL;
    case JSON_INTEGER:
        return T_INT | T_NUM;
    case JSON_REAL:
        return T_NUM;
    case JSON_STRING:
        return T_STR;
    case JSON_ARRAY:
        return T_ARR;
    case JSON_OBJECT:
        return T_OBJ;
    }
    return 0;
}

static const char *type_words(unsigned types)
{
    types &= ~(unsigned)T_NULL;
    if (types & T_STR)
        return types & T_ARR ? "a string or an array" : types & T_OBJ ? "a string or an object" : "a string";
    if (types & T_NUM)
        return "a number";
    if (types & T_INT)
        return "an integer";
    if (types & T_BOOL)
        return "a boolean";
    return types & T_ARR ? "an array" : "an object";
}

/* Every member of table present in obj has one of its types. */
static int check_members(const json_t *obj, const struct member *table, struct api_error *e)
{
    for (const struct member *m = table; m->name; m++) {
        const json_t *v = json_object_get(obj, m->name);
        if (v && !(type_bit(v) & m->types))
            return fail(e, 400, "%s: expected %s%s", m->name, type_words(m->types),
                        m->types & T_NULL ? " or null" : "");
    }
    return 0;
}

static int64_t text_tokens(size_t bytes)
{
    return (int64_t)((bytes + 3) / 4);
}

/* A list of token ids: every element a non-negative integer. Returns the count or -1. */
static int64_t id_list_tokens(const json_t *a)
{
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return -1;
    }
    return (int64_t)json_array_size(a);
}

/* prompt: a string, a list of token ids, or a batch of one string or one id list. */
static int prompt_tokens(const json_t *p, int64_t *n, struct api_error *e)
{
    if (json_is_string(p)) {
        *n = text_tokens(json_string_length(p));
        return 0;
    }
    if (json_array_size(p) == 0)
        return fail(e, 400, "prompt: must not be empty");
    const json_t *first = json_array_get(p, 0);
    if (json_is_integer(first)) {
        *n = id_list_tokens(p);
        return *n < 0 ? fail(e, 400, "prompt: a list of token ids must hold only non-negative integers") : 0;
    }
    if (json_array_size(p) > 1)
        return fail(e, 400, "prompt: aifb-simllm serves one prompt per request, not a batch of %zu",
                    json_array_size(p));
    if (json_is_string(first)) {
        *n = text_tokens(json_string_length(first));
        return 0;
    }
    if (json_is_array(first) && json_array_size(first) > 0) {
        *n = id_list_tokens(first);
        if (*n >= 0)
            return 0;
    }
    return fail(e, 400, "prompt: expected a string, a list of token ids, or a list of one of those");
}

/* The text bytes of one message's content: a string, null, or a list of parts whose "text" parts
 * count. Returns the bytes or -1. */
static int64_t content_bytes(const json_t *c)
{
    if (!c || json_is_null(c))
        return 0;
    if (json_is_string(c))
        return (int64_t)json_string_length(c);
    if (!json_is_array(c))
        return -1;
    int64_t bytes = 0;
    size_t i;
    const json_t *part;
    json_array_foreach(c, i, part)
    {
        if (!json_is_object(part) || !json_is_string(json_object_get(part, "type")))
            return -1;
        const json_t *t = json_object_get(part, "text");
        if (strcmp(json_string_value(json_object_get(part, "type")), "text") == 0) {
            if (!json_is_string(t))
                return -1;
            bytes += (int64_t)json_string_length(t);
        }
    }
    return bytes;
}

static int message_tokens(const json_t *msgs, int64_t *n, struct api_error *e)
{
    if (json_array_size(msgs) == 0)
        return fail(e, 400, "messages: must not be empty");
    int64_t bytes = 0;
    size_t i;
    const json_t *m;
    json_array_foreach(msgs, i, m)
    {
        if (!json_is_object(m) || !json_is_string(json_object_get(m, "role")))
            return fail(e, 400, "messages[%zu]: expected an object with a string role", i);
        int64_t b = content_bytes(json_object_get(m, "content"));
        if (b < 0)
            return fail(e, 400, "messages[%zu].content: expected a string, null or a list of content parts", i);
        bytes += b;
    }
    *n = text_tokens((size_t)bytes);
    return 0;
}

static int64_t int_or(const json_t *obj, const char *name, int64_t def)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

/* stream, stream_options and n. */
static int parse_stream(const json_t *obj, struct api_request *out, struct api_error *e)
{
    out->stream = json_is_true(json_object_get(obj, "stream"));
    const json_t *so = json_object_get(obj, "stream_options");
    if (json_is_object(so)) {
        if (!out->stream)
            return fail(e, 400, "Stream options can only be defined when `stream=True`.");
        const json_t *iu = json_object_get(so, "include_usage"), *cu = json_object_get(so, "continuous_usage_stats");
        if (iu && !json_is_boolean(iu) && !json_is_null(iu))
            return fail(e, 400, "stream_options.include_usage: expected a boolean or null");
        if (cu && !json_is_boolean(cu) && !json_is_null(cu))
            return fail(e, 400, "stream_options.continuous_usage_stats: expected a boolean or null");
        out->include_usage = json_is_true(iu);
        /* as vLLM: continuous usage only along with include_usage */
        out->continuous_usage = out->include_usage && json_is_true(cu);
    }
    if (int_or(obj, "n", 1) != 1)
        return fail(e, 400, "n: aifb-simllm generates one choice per request (n=1)");
    return 0;
}

/* max_tokens (or, for chat, max_completion_tokens first) and the context length. */
static int parse_lengths(const json_t *obj, int64_t max_model_len, struct api_request *out, struct api_error *e)
{
    int64_t mt = int_or(obj, "max_tokens", API_DEFAULT_MAX_TOKENS);
    if (out->kind == API_CHAT)
        mt = int_or(obj, "max_completion_tokens", mt);
    if (mt < 1)
        return fail(e, 400, "max_tokens must be at least 1, got %" PRId64 ".", mt);
    if (out->prompt_tokens > max_model_len || mt > max_model_len - out->prompt_tokens) {
        int64_t asked = mt > INT64_MAX - out->prompt_tokens ? INT64_MAX : out->prompt_tokens + mt;
        return fail(e, 400,
                    "This model's maximum context length is %" PRId64 " tokens. However, you requested %" PRId64
                    " tokens (%" PRId64 " in the messages, %" PRId64
                    " in the completion). Please reduce the length of the messages or completion.",
                    max_model_len, asked, out->prompt_tokens, mt);
    }
    out->max_tokens = mt;
    return 0;
}

static int parse_object(enum api_kind kind, const json_t *obj, const char *model, int64_t max_model_len,
                        struct api_request *out, struct api_error *e)
{
    const struct member *own = kind == API_CHAT ? chat_members : completion_members;
    if (check_members(obj, common_members, e) < 0 || check_members(obj, own, e) < 0)
        return -1;
    const char *what = kind == API_CHAT ? "messages" : "prompt";
    const json_t *input = json_object_get(obj, what);
    if (!input)
        return fail(e, 400, "%s: field required", what);
    const json_t *m = json_object_get(obj, "model");
    if (json_is_string(m) && strcmp(json_string_value(m), model) != 0)
        return fail(e, 404, "The model `%.200s` does not exist.", json_string_value(m));
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    int rc =
        kind == API_CHAT ? message_tokens(input, &out->prompt_tokens, e) : prompt_tokens(input, &out->prompt_tokens, e);
    if (rc < 0 || parse_stream(obj, out, e) < 0)
        return -1;
    return parse_lengths(obj, max_model_len, out, e);
}

int api_parse(enum api_kind kind, const char *body, size_t len, const char *model, int64_t max_model_len,
              struct api_request *out, struct api_error *e)
{
    json_error_t jerr;
    json_t *j = json_loadb(body, len, 0, &jerr);
    if (!j)
        return fail(e, 400, "Invalid JSON body: %s (line %d, column %d)", jerr.text, jerr.line, jerr.column);
    int rc = json_is_object(j) ? parse_object(kind, j, model, max_model_len, out, e)
                               : fail(e, 400, "The request body must be a JSON object");
    json_decref(j);
    return rc;
}

void api_ident_init(struct api_ident *id, enum api_kind kind, uint64_t hi, uint64_t lo, int64_t created,
                    const char *model_json)
{
    id->kind = kind;
    snprintf(id->id, sizeof(id->id), "%s-%016" PRIx64 "%016" PRIx64, kind == API_CHAT ? "chatcmpl" : "cmpl", hi, lo);
    id->created = created;
    id->model_json = model_json;
    int n = snprintf(id->head, sizeof(id->head),
                     "data: {\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRId64 ",\"model\":%s,", id->id,
                     kind == API_CHAT ? "chat.completion.chunk" : "text_completion", created, model_json);
    id->head_len = n > 0 && (size_t)n < sizeof(id->head) ? (size_t)n : 0;
}

size_t api_token_text(int64_t i, char out[32])
{
    int n = snprintf(out, 32, " tok%" PRId64, i);
    return n > 0 ? (size_t)n : 0;
}

/* The members every chunk starts with, up to "choices". */
static int chunk_head(struct buf *out, const struct api_ident *id)
{
    if (id->head_len)
        return buf_append(out, id->head, id->head_len);
    return buf_printf(out, "data: {\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRId64 ",\"model\":%s,", id->id,
                      id->kind == API_CHAT ? "chat.completion.chunk" : "text_completion", id->created, id->model_json);
}

static int stamp_member(struct buf *out, const struct api_stamp *s)
{
    if (!s)
        return 0;
    return buf_printf(out,
                      ",\"aifb_sim\":{\"arrival_ns\":%" PRId64 ",\"scheduled_ns\":%" PRId64
                      ",\"first_token_ns\":%" PRId64 ",\"last_token_ns\":%" PRId64 "}",
                      s->arrival_ns, s->scheduled_ns, s->first_token_ns, s->last_token_ns);
}

static int usage_member(struct buf *out, int64_t prompt, int64_t completion, bool details)
{
    return buf_printf(out,
                      "\"usage\":{\"prompt_tokens\":%" PRId64 ",\"total_tokens\":%" PRId64
                      ",\"completion_tokens\":%" PRId64 "%s}",
                      prompt, prompt + completion, completion, details ? ",\"prompt_tokens_details\":null" : "");
}

/* ",\"usage\":{...}" when usage is given (continuous_usage_stats), nothing otherwise. */
static int continuous_usage(struct buf *out, const struct api_usage *usage)
{
    if (!usage)
        return 0;
    return buf_puts(out, ",") | usage_member(out, usage->prompt_tokens, usage->completion_tokens, false);
}

int api_event_role(struct buf *out, const struct api_ident *id, const struct api_usage *usage)
{
    int rc = chunk_head(out, id);
    rc |= buf_puts(out, "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                        "\"logprobs\":null,\"finish_reason\":null}]");
    rc |= continuous_usage(out, usage);
    rc |= buf_puts(out, "}\n\n");
    return rc ? -1 : 0;
}

int api_event_token(struct buf *out, const struct api_ident *id, int64_t i, int64_t n, bool last,
                    const struct api_usage *usage, const struct api_stamp *stamp)
{
    /* Pieces, not printf: this runs once per token of every stream. vLLM sends stop_reason in every
     * completion chunk but only in the last chat chunk. */
    static const char *const open[] = {"\"choices\":[{\"index\":0,\"text\":\" tok",
                                       "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok"};
    static const char *const close[][2] = {
        {"\",\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}]",
         "\",\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}]"},
        {"\"},\"logprobs\":null,\"finish_reason\":null}]",
         "\"},\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}]"},
    };
    int chat = id->kind == API_CHAT;
    char num[24];
    int k = snprintf(num, sizeof(num), "%" PRId64, i);
    int rc = chunk_head(out, id);
    rc |= buf_puts(out, open[chat]);
    rc |= buf_append(out, num, k > 0 ? (size_t)k : 0);
    for (int64_t j = i + 1; j < i + n && rc == 0; j++) { /* the chunk's other tokens (--tokens-per-chunk) */
        k = snprintf(num, sizeof(num), " tok%" PRId64, j);
        rc |= buf_append(out, num, k > 0 ? (size_t)k : 0);
    }
    rc |= buf_puts(out, close[chat][last]);
    rc |= continuous_usage(out, usage);
    rc |= stamp_member(out, stamp);
    rc |= buf_puts(out, "}\n\n");
    return rc ? -1 : 0;
}

int api_event_usage(struct buf *out, const struct api_ident *id, int64_t prompt_tokens, int64_t completion_tokens,
                    const struct api_stamp *stamp)
{
    int rc = chunk_head(out, id);
    rc |= buf_puts(out, "\"choices\":[],");
    rc |= usage_member(out, prompt_tokens, completion_tokens, false);
    rc |= stamp_member(out, stamp);
    rc |= buf_puts(out, "}\n\n");
    return rc ? -1 : 0;
}

int api_event_done(struct buf *out)
{
    return buf_puts(out, "data: [DONE]\n\n");
}

static int body_text(struct buf *out, int64_t n)
{
    int rc = 0;
    char t[32];
    for (int64_t i = 0; i < n && rc == 0; i++) {
        size_t k = api_token_text(i, t);
        rc = buf_append(out, t, k);
    }
    return rc;
}

int api_body(struct buf *out, const struct api_ident *id, int64_t prompt_tokens, int64_t completion_tokens,
             const struct api_stamp *stamp)
{
    bool chat = id->kind == API_CHAT;
    int rc = buf_printf(out, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%" PRId64 ",\"model\":%s,", id->id,
                        chat ? "chat.completion" : "text_completion", id->created, id->model_json);
    rc |= buf_puts(out, chat ? "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                               "\"reasoning_content\":null,\"content\":\""
                             : "\"choices\":[{\"index\":0,\"text\":\"");
    rc |= body_text(out, completion_tokens);
    rc |= buf_puts(out, chat ? "\",\"tool_calls\":[]},\"logprobs\":null,\"finish_reason\":\"length\","
                               "\"stop_reason\":null}],"
                             : "\",\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null,"
                               "\"prompt_logprobs\":null}],");
    rc |= usage_member(out, prompt_tokens, completion_tokens, true);
    if (chat)
        rc |= buf_puts(out, ",\"prompt_logprobs\":null");
    rc |= stamp_member(out, stamp);
    rc |= buf_puts(out, "}");
    return rc ? -1 : 0;
}

/* Dumps j compactly into out and drops it. Returns 0 or -1. */
static int put_json(struct buf *out, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    int rc = s ? buf_puts(out, s) : -1;
    free(s);
    json_decref(j);
    return rc;
}

const char *api_error_type(int status)
{
    switch (status) {
    case 400:
        return "BadRequestError";
    case 404:
        return "NotFoundError";
    case 405:
        return "MethodNotAllowedError";
    case 411:
        return "LengthRequiredError";
    case 413:
        return "RequestEntityTooLargeError";
    case 417:
        return "ExpectationFailedError";
    case 431:
        return "RequestHeaderFieldsTooLargeError";
    case 503:
        return "ServiceUnavailableError";
    case 505:
        return "HTTPVersionNotSupportedError";
    default:
        return "InternalServerError";
    }
}

int api_error_body(struct buf *out, int status, const char *type, const char *message)
{
    /* json_pack's "s" needs UTF-8; a message quoting a client's bytes may not be, so lossy it is. */
    json_t *msg = json_string(message);
    if (!msg)
        msg = json_string("(the message quoted bytes that are not UTF-8)");
    return put_json(out, json_pack("{s:s,s:o,s:s,s:n,s:i}", "object", "error", "message", msg, "type", type, "param",
                                   "code", status));
}

static uint64_t fnv1a(const char *s, uint64_t h)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

int api_models_body(struct buf *out, const char *model, int64_t created, int64_t max_model_len)
{
    char perm[48];
    uint64_t h = fnv1a(model, 0xcbf29ce484222325ULL);
    snprintf(perm, sizeof(perm), "modelperm-%016" PRIx64 "%016" PRIx64, h, fnv1a("perm", h));
    json_t *p = json_pack("{s:s,s:s,s:I,s:b,s:b,s:b,s:b,s:b,s:b,s:s,s:n,s:b}", "id", perm, "object", "model_permission",
                          "created", (json_int_t)created, "allow_create_engine", 0, "allow_sampling", 1,
                          "allow_logprobs", 1, "allow_search_indices", 0, "allow_view", 1, "allow_fine_tuning", 0,
                          "organization", "*", "group", "is_blocking", 0);
    json_t *card = json_pack("{s:s,s:s,s:I,s:s,s:s,s:n,s:I,s:[o]}", "id", model, "object", "model", "created",
                             (json_int_t)created, "owned_by", "aifb-simllm", "root", model, "parent", "max_model_len",
                             (json_int_t)max_model_len, "permission", p);
    return put_json(out, json_pack("{s:s,s:[o]}", "object", "list", "data", card));
}

char *api_json_string(const char *s)
{
    json_t *j = json_string(s);
    char *out = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(j);
    return out;
}
