/* slurm: running the SLURM client commands and turning their failures into errors. */
#include "slurm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "proc.h"

const char *slurm_first_line(struct slurm *s, const char *text)
{
    static const char *const with[] = {"STATE", "~"};
    struct buf b;
    buf_init(&b, 300);
    size_t len = strcspn(text, "\n");
    for (size_t i = 0; i < len && !b.overflow;) {
        size_t k = 0, j;
        for (j = 0; j < 2; j++) {
            k = s->redact[j] ? strlen(s->redact[j]) : 0;
            if (k && i + k <= len && memcmp(text + i, s->redact[j], k) == 0)
                break;
        }
        if (j < 2) {
            buf_puts(&b, with[j]);
            i += k;
        } else {
            char c = (unsigned char)text[i] < 0x20 ? ' ' : text[i];
            buf_append(&b, &c, 1);
            i++;
        }
    }
    const char *out = arena_strdup(s->arena, buf_cstr(&b));
    buf_free(&b);
    return out;
}

/* Runs argv; ERR_OK when it ran to its end within the timeout (whatever its status). */
static enum err run(struct slurm *s, const char *const argv[], struct proc_result *r)
{
    if (proc_run(s->arena, argv, s->timeout_ms, SLURM_OUT_CAP, SLURM_ERR_CAP, r) < 0) {
        s->detail = arena_printf(s->arena, "%s: %s", argv[0],
                                 r->exec_errno == ENOENT ? "not found on PATH" : strerror(r->exec_errno));
        return ERR_SLURM_ERROR;
    }
    if (r->timed_out) {
        s->detail = arena_printf(s->arena, "%s did not answer within %d s", argv[0], s->timeout_ms / 1000);
        return ERR_SLURM_TIMEOUT;
    }
    if (r->out_truncated) {
        s->detail = arena_printf(s->arena, "%s printed more than %u bytes", argv[0], SLURM_OUT_CAP);
        return ERR_SLURM_ERROR;
    }
    return ERR_OK;
}

static enum err failed(struct slurm *s, const char *cmd, const struct proc_result *r)
{
    const char *line = slurm_first_line(s, *r->err ? r->err : r->out);
    s->detail = *line ? line : arena_printf(s->arena, "%s exited with status %d", cmd, r->status);
    return ERR_SLURM_ERROR;
}

/* sbatch's refusals of an option the caller gave, and the submit field that holds it. */
static const struct {
    const char *words, *field;
} refusals[] = {
    {"invalid partition", "partition"},
    {"Invalid partition", "partition"},
    {"Invalid account", "account"},
    {"invalid account", "account"},
    {"Invalid qos", "qos"},
    {"Invalid --time specification", "time_limit"},
    {"Requested time limit is invalid", "time_limit"},
};

/* A failed sbatch: the caller's mistake (ERR_INVALID_INPUT naming the field, sbatch's line after
 * it) when its first line is one of the refusals, else ERR_SLURM_ERROR. */
static enum err sbatch_failed(struct slurm *s, const struct proc_result *r)
{
    enum err e = failed(s, "sbatch", r);
    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
        if (strstr(s->detail, refusals[i].words)) {
            s->detail = arena_printf(s->arena, "field=%s: %s", refusals[i].field, s->detail);
            return ERR_INVALID_INPUT;
        }
    return e;
}

enum err slurm_sbatch(struct slurm *s, const char *const argv[], int64_t *job_id)
{
    struct proc_result r;
    enum err e = run(s, argv, &r);
    if (e)
        return e;
    if (r.status != 0)
        return sbatch_failed(s, &r);
    /* --parsable prints "ID" or "ID;CLUSTER" */
    size_t len = strspn(r.out, "0123456789");
    if (!jobstate_parse_id(r.out, len, job_id) || (r.out[len] != '\0' && !strchr(";\n", r.out[len]))) {
        s->detail = arena_printf(s->arena, "sbatch printed no job id: %s", slurm_first_line(s, r.out));
        return ERR_SLURM_ERROR;
    }
    return ERR_OK;
}

static char *id_list(struct arena *a, const int64_t *ids, size_t n)
{
    char *s = arena_alloc(a, n * 20 + 1), *w = s;
    for (size_t i = 0; i < n; i++)
        w += snprintf(w, 21, "%s%" PRId64, i ? "," : "", ids[i]);
    *w = '\0';
    return s;
}

enum err slurm_squeue(struct slurm *s, const int64_t *ids, size_t n, struct jobstate_row **rows, size_t *nrows)
{
    const char *argv[] = {"squeue", "-h", "-t", "all", "-j", id_list(s->arena, ids, n), "-o", "%i|%T|%N|%r", NULL};
    struct proc_result r;
    *nrows = 0;
    *rows = NULL;
    enum err e = run(s, argv, &r);
    if (e)
        return e;
    /* one id SLURM has forgotten is an error to squeue; several are filtered silently */
    if (r.status != 0 && strstr(r.err, "Invalid job id specified"))
        return ERR_OK;
    if (r.status != 0)
        return failed(s, "squeue", &r);
    *nrows = jobstate_parse_squeue(s->arena, r.out, rows);
    return ERR_OK;
}

enum err slurm_scontrol(struct slurm *s, int64_t id, struct jobstate_row *row, bool *found)
{
    const char *argv[] = {"scontrol", "show", "job", "-o", arena_printf(s->arena, "%" PRId64, id), NULL};
    struct proc_result r;
    *found = false;
    enum err e = run(s, argv, &r);
    if (e)
        return e;
    if (r.status != 0 && strstr(r.err, "Invalid job id specified"))
        return ERR_OK;
    if (r.status != 0)
        return failed(s, "scontrol", &r);
    *found = jobstate_parse_scontrol(s->arena, r.out, row) && row->job_id == id;
    return ERR_OK;
}

size_t slurm_sacct(struct slurm *s, const int64_t *ids, size_t n, bool completion, struct jobstate_row **rows)
{
    const char *argv[] = {"sacct",
                          "-n",
                          "-P",
                          "-j",
                          id_list(s->arena, ids, n),
                          "-o",
                          "JobID,State,ExitCode,NodeList",
                          completion ? "-c" : NULL,
                          NULL};
    struct proc_result r;
    *rows = NULL;
    if (run(s, argv, &r) != ERR_OK) {
        log_warn("sacct%s: %s", completion ? " -c" : "", s->detail);
        s->detail = NULL;
        return 0;
    }
    if (r.status != 0 || *r.err)
        log_info("sacct%s (status %d): %s", completion ? " -c" : "", r.status, slurm_first_line(s, r.err));
    return r.status == 0 ? jobstate_parse_sacct(s->arena, r.out, rows) : 0;
}

enum err slurm_scancel(struct slurm *s, int64_t id)
{
    const char *argv[] = {"scancel", arena_printf(s->arena, "%" PRId64, id), NULL};
    struct proc_result r;
    enum err e = run(s, argv, &r);
    if (e)
        return e;
    if (r.status != 0)
        return failed(s, "scancel", &r);
    return ERR_OK;
}
