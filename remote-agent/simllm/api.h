/* api: the OpenAI/vLLM wire format of aifb-simllm, with no I/O: parsing /v1/completions and
 * /v1/chat/completions bodies into what the simulator needs, and writing vLLM's exact JSON for
 * stream chunks, the usage chunk, [DONE], whole responses, /v1/models and errors.
 * Prompt tokens: a list of token ids counts one per id; text counts ceil(bytes / 4) (for chat, the
 * bytes of every message's text content added up), a fixed stand-in for a tokenizer. */
#ifndef AIFB_API_H
#define AIFB_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define API_DEFAULT_MAX_TOKENS 16

enum api_kind { API_COMPLETION, API_CHAT };

/* What a generation request asks of the simulator. */
struct api_request {
    enum api_kind kind;
    int64_t prompt_tokens;
    int64_t max_tokens;
    bool stream;
    bool include_usage;    /* stream_options.include_usage */
    bool continuous_usage; /* and stream_options.continuous_usage_stats: usage in every chunk (vLLM's) */
};

/* A refusal in vLLM's terms: the HTTP status (400 or 404), the error type and a message. */
struct api_error {
    int status;
    const char *type; /* "BadRequestError", "NotFoundError" */
    char message[512];
};

/* Parses body[0..len) as a request of kind for the served model (a request naming another model is
 * 404; one naming none gets the served one). Returns 0 with *out filled, or -1 with *e filled:
 * 400 for malformed JSON, a member of the wrong type, a bad value or a request over max_model_len. */
int api_parse(enum api_kind kind, const char *body, size_t len, const char *model, int64_t max_model_len,
              struct api_request *out, struct api_error *e);

/* What every chunk of one response repeats. */
struct api_ident {
    enum api_kind kind;
    char id[48];            /* "cmpl-<32 hex>" or "chatcmpl-<32 hex>" */
    int64_t created;        /* Unix seconds */
    const char *model_json; /* the model name as a JSON string, quotes included; not owned */
    char head[320];         /* each chunk's start, up to "choices", made once */
    size_t head_len;        /* 0 when it did not fit: formatted each time then */
};

/* Fills *id for kind with the hex of hi and lo as the random part. */
void api_ident_init(struct api_ident *id, enum api_kind kind, uint64_t hi, uint64_t lo, int64_t created,
                    const char *model_json);

/* The server's own timing of a request, CLOCK_REALTIME nanoseconds, sent as "aifb_sim". */
struct api_stamp {
    int64_t arrival_ns;     /* the request was read */
    int64_t scheduled_ns;   /* it left the admission queue */
    int64_t first_token_ns; /* its first content token was written */
    int64_t last_token_ns;  /* its last token was written */
};

/* The counts a chunk's "usage" member gives (continuous_usage_stats): completion tokens so far. */
struct api_usage {
    int64_t prompt_tokens, completion_tokens;
};

/* The text of token i: " tok<i>". Returns the length written (out holds 32 bytes). */
size_t api_token_text(int64_t i, char out[32]);

/* Stream events, each appended to out as "data: <json>\n\n". Each returns 0 or -1 (out's cap).
 * role: the chat chunk with {"role":"assistant","content":""}, sent with the first token.
 * token: the chunk of tokens i .. i + n - 1 (n >= 1: their texts one after the other); last carries
 * finish_reason "length". In both, usage (or NULL) adds vLLM's continuous "usage" member after
 * "choices", and in token, stamp (or NULL) adds "aifb_sim". usage: the include_usage chunk with
 * "choices":[] and its stamp (or NULL). done: [DONE]. */
int api_event_role(struct buf *out, const struct api_ident *id, const struct api_usage *usage);
int api_event_token(struct buf *out, const struct api_ident *id, int64_t i, int64_t n, bool last,
                    const struct api_usage *usage, const struct api_stamp *stamp);
int api_event_usage(struct buf *out, const struct api_ident *id, int64_t prompt_tokens, int64_t completion_tokens,
                    const struct api_stamp *stamp);
int api_event_done(struct buf *out);

/* The whole non-stream response of completion_tokens tokens, with usage and the stamp.
 * Returns 0 or -1 (cap). */
int api_body(struct buf *out, const struct api_ident *id, int64_t prompt_tokens, int64_t completion_tokens,
             const struct api_stamp *stamp);

/* vLLM's error document {"object":"error","message":...,"type":...,"param":null,"code":status}.
 * Returns 0 or -1 (cap). */
int api_error_body(struct buf *out, int status, const char *type, const char *message);

/* The error type vLLM names for status ("BadRequestError", "NotFoundError", ...). */
const char *api_error_type(int status);

/* GET /v1/models: the one served model. Returns 0 or -1 (cap). */
int api_models_body(struct buf *out, const char *model, int64_t created, int64_t max_model_len);

/* s as a JSON string with its quotes, malloc'd (the caller frees it); NULL when s is not UTF-8. */
char *api_json_string(const char *s);

#endif
