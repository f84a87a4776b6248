/* stream: what one answer of an OpenAI-compatible server said, read as its bytes arrive: Server-Sent
 * Events (events split across reads at any byte, CRLF, LF or CR line ends, comments, multi-line data,
 * "data: [DONE]") or one whole JSON answer, in the completions or chat format. It keeps the times of
 * the chunks with a non-empty choices array (vllm bench serve's TTFT and ITL points), the usage the
 * server sent, and the error class of record.h. Chunks are read by a validating JSON scanner that
 * allocates nothing (jscan.h: it accepts exactly what jansson accepts), since thousands of streams send
 * tens of thousands of chunks a second. Pure: no clock, no I/O; the caller passes each read's time. */
#ifndef AIFB_LOADGEN_STREAM_H
#define AIFB_LOADGEN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

#define STREAM_EVENT_MAX (1u << 20) /* bytes of one event's data (and of one line) */
#define STREAM_BODY_MAX (64u << 20) /* bytes of a whole JSON answer */
#define STREAM_ITL_MAX (1u << 24)   /* gaps kept per request; later ones are not kept */

/* What one JSON chunk (or whole answer) says; see stream_scan. */
struct stream_chunk {
    int64_t choices;           /* elements of "choices"; -1: absent or not an array */
    bool text;                 /* choices[0] has non-empty text (see stream_scan) */
    int64_t text_len;          /* the bytes of that text, decoded */
    bool finish;               /* choices[0].finish_reason is a string */
    int64_t prompt_tokens;     /* usage's, when an integer; else -1 */
    int64_t completion_tokens; /* usage's, when an integer; else -1 */
    bool error;                /* an OpenAI error object: "error" not null, or "object": "error" */
    int64_t error_code;        /* its integer "code"; 0: none */
};

/* How the transfer of an answer ended, as the caller's HTTP client saw it. */
enum stream_end {
    STREAM_END_OK,        /* the whole answer came */
    STREAM_END_TIMEOUT,   /* the request's time ran out */
    STREAM_END_CONNECT,   /* no connection could be made */
    STREAM_END_CUT,       /* the connection broke during the answer */
    STREAM_END_BROKEN,    /* any other transfer failure (a reply that is not HTTP, ...) */
    STREAM_END_CANCELLED, /* the run was stopped */
};

/* One answer being read. Set up once with stream_init and reused with stream_reset. */
struct stream {
    bool want_sse; /* the request asked for a stream: SSE when the answer names no content type */
    bool head_seen, sse;
    int http_status;
    const char *error; /* an error class decided while reading; NULL: none yet */
    int error_status;  /* the HTTP status an error object named */
    /* SSE framing */
    struct buf line; /* a line not complete yet */
    struct buf data; /* the data lines of the event not dispatched yet */
    bool has_data;   /* a data line came since the last dispatch (its value may be empty) */
    bool cr;         /* the last byte was a CR: an LF right after it ends nothing */
    bool any_line;   /* a line was taken (a BOM may start only the first) */
    struct buf body; /* a whole JSON answer */
    /* what the chunks said */
    int64_t first_us, last_us, last_read_us;
    int32_t *itl;
    uint32_t n_itl, cap_itl;
    int64_t text_chunks;  /* chunks with non-empty text */
    int64_t text_len;     /* their decoded bytes */
    int64_t usage_prompt; /* -1: not sent */
    int64_t usage_completion;
    int64_t live_tokens; /* the output tokens stream_feed has reported so far (see there) */
    bool finished, done; /* a finish_reason came; [DONE] came */
};

/* Scans p[0..n) as one JSON document. Returns 0 when it is a valid JSON object (as jansson accepts
 * it: strict UTF-8, no \u0000, no lone surrogates, integers within int64, finite reals, depth 2048;
 * but not jansson 2.14's one NUL byte skipped after a number or literal), filling *c; -1 otherwise (*c then says
 * nothing). Duplicate members: the last counts, as in jansson. The text of choices[0] is any of "text",
 * "delta"."content", "delta"."reasoning_content", "message"."content", "message"."reasoning_content" (completions, chat
 * chunks, chat answers, reasoning models), non-empty when one is a non-empty string; text_len adds up those that are
 * strings. */
int stream_scan(const char *p, size_t n, struct stream_chunk *c);

/* Sets up s; want_sse says whether the request asked for a stream. Allocates nothing yet. */
void stream_init(struct stream *s, bool want_sse);

/* Forgets the answer read, keeping the memory, for the next request (want_sse as for init). */
void stream_reset(struct stream *s, bool want_sse);

/* Frees what s holds. */
void stream_free(struct stream *s);

/* The answer's status and Content-Type (NULL: none), known before its first byte is read. SSE when
 * the type is text/event-stream, or when none is given and a stream was asked for. */
void stream_head(struct stream *s, int http_status, const char *content_type);

/* Reads the next n bytes of the answer, which arrived at now_us. Returns how many output tokens the
 * chunks they completed brought (0 or more), for live counters: a chunk's usage when it carries one
 * (vLLM's continuous_usage_stats, or the final usage chunk) raises the count to its completion_tokens,
 * else a chunk with non-empty text counts one. Or -1 when the answer cannot be read on (not the OpenAI
 * format, or over a cap): the caller aborts the transfer, and the record says protocol. A non-2xx
 * answer's bytes are dropped. */
int stream_feed(struct stream *s, const char *p, size_t n, int64_t now_us);

/* Ends the answer as how says and fills r's first_chunk_us, last_chunk_us, itl_us/n_itl (pointing
 * into s, valid until the next reset), prompt_tokens, completion_tokens, tokens_estimated,
 * http_status and error_class (a static string or NULL). Tokens are the usage's, else estimated:
 * prompt_estimate for the prompt, and for the completion the chunks with text of a stream, or
 * ceil(text bytes / 4) of a whole answer. Verdicts, the first that applies: cancelled; a non-2xx
 * status: http_error; connect; timeout; an error object in a 2xx answer: http_error with its code as
 * http_status when that is 400..599, else protocol; a chunk that is not a JSON object: protocol;
 * the connection cut: stream_cut; another transfer failure: protocol. A complete 2xx answer is a
 * success when it is a stream with a finish_reason or [DONE] (else stream_cut), or a whole answer
 * with a non-empty choices array (else protocol). A whole answer's chunk times are its end. */
void stream_finish(struct stream *s, enum stream_end how, int64_t prompt_estimate, struct record *r);

#endif
