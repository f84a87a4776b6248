/* record: one request's line in records-<rank>.csv, in PostgreSQL COPY's csv format (an empty
 * unquoted field is NULL, the ITL array is quoted since it holds commas). */
#include "record.h"

#include <inttypes.h>
#include <string.h>

static const char *const phase_names[] = {"warmup", "measure", "cooldown"};

/* ",value" or "," for an absent value (NULL). Returns fprintf's result. */
static int opt_i64(FILE *f, int64_t v, bool present)
{
    return present ? fprintf(f, ",%" PRId64, v) : fprintf(f, ",");
}

static int write_itl(FILE *f, const struct record *r)
{
    if (fputs(",\"{", f) == EOF)
        return -1;
    for (uint32_t i = 0; i < r->n_itl; i++)
        if (fprintf(f, "%s%" PRId32, i ? "," : "", r->itl_us[i]) < 0)
            return -1;
    return fputs("}\"", f) == EOF ? -1 : 0;
}

/* The error class: a bare word as record.h promises; anything else is quoted, quotes doubled. */
static int write_class(FILE *f, const char *c)
{
    if (!c)
        return 0;
    if (strspn(c, "abcdefghijklmnopqrstuvwxyz_") == strlen(c) && *c)
        return fputs(c, f) == EOF ? -1 : 0;
    if (fputc('"', f) == EOF)
        return -1;
    for (const char *p = c; *p; p++)
        if ((*p == '"' && fputc('"', f) == EOF) || fputc(*p, f) == EOF)
            return -1;
    return fputc('"', f) == EOF ? -1 : 0;
}

int record_write_csv(FILE *f, const struct record *r)
{
    const char *phase = (unsigned)r->phase < 3 ? phase_names[r->phase] : "measure";
    if (fprintf(f, "%d,%" PRIu64 ",%s", r->rank, r->seq, phase) < 0 || opt_i64(f, r->scheduled_us, true) < 0 ||
        opt_i64(f, r->sent_us, true) < 0 || opt_i64(f, r->first_chunk_us, r->first_chunk_us != 0) < 0 ||
        opt_i64(f, r->last_chunk_us, r->last_chunk_us != 0) < 0 || opt_i64(f, r->done_us, r->done_us != 0) < 0 ||
        write_itl(f, r) < 0 || opt_i64(f, r->prompt_tokens, r->prompt_tokens >= 0) < 0 ||
        opt_i64(f, r->completion_tokens, r->completion_tokens >= 0) < 0 ||
        fprintf(f, ",%c", r->tokens_estimated ? 't' : 'f') < 0 || opt_i64(f, r->http_status, r->http_status != 0) < 0 ||
        fputc(',', f) == EOF || write_class(f, r->error_class) < 0 || fprintf(f, ",%" PRId64 "\n", r->connect_us) < 0)
        return -1;
    return ferror(f) ? -1 : 0;
}

uint32_t record_chunks(const struct record *r)
{
    return r->first_chunk_us ? r->n_itl + 1 : 0;
}

int64_t record_chunk_tokens(const struct record *r, uint32_t k)
{
    int64_t t = r->completion_tokens > 0 ? r->completion_tokens : 0, m = record_chunks(r);
    if (m == 0 || k >= m)
        return 0;
    return ((int64_t)k + 1) * t / m - (int64_t)k * t / m;
}
