/* sync: three steps, each bounded (logs.sync_timeout_s per rsync run):
 *   list   rsync --list-only over the log folder's filter: regular files only (a link is listed as one
 *          and left out), each path checked by categorize_path_ok;
 *   diff   the list goes into a temporary table by COPY; PostgreSQL answers which paths are not in
 *          the index, or differ in size or mtime, and have no tombstone;
 *   fetch  rsync --files-from those paths (-t keeps mtimes, so that the next diff finds them equal);
 *   index  each fetched file, opened through the mirror's confinement, is upserted with its size,
 *          mtime, category and links.
 * rsync prints the listing's times in the local zone: the process runs in UTC so that they read back. */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "categorize.h"
#include "db.h"
#include "listing.h"
#include "log.h"
#include "mono.h"
#include "mirror.h"
#include "num.h"
#include "proc.h"
#include "retention.h"
#include "settings.h"

#define LIST_CAP (256u << 20)
#define COPY_FLUSH (1u << 20)

/* What rsync may see of the state folder: logs/ two levels deep, and the .log files of jobs/<id>/. */
static const char *const filters[] = {
    "--include=/logs/",   "--include=/logs/*",       "--include=/logs/*/*", "--include=/jobs/",
    "--include=/jobs/*/", "--include=/jobs/*/*.log", "--exclude=*",
};

struct pass {
    struct app *app;
    struct arena *a;
    const char **detail;
    const char *mirror;
    const char *src;   /* user@host:dir/ */
    const char *shell; /* rsync's -e */
    const char *rsync;
    int timeout_ms;
    struct listing_entry *list;
    size_t listed, skipped;
    const char **wanted;
    const char **group; /* per wanted path: its folder, when the whole folder is fetched as one; else NULL */
    size_t nwanted;
    int64_t transferred, bytes, indexed;
    const char *partial; /* why a fetch brought only some files */
    int64_t ms[4];       /* list, diff, fetch, index */
};

static const struct db_stmt st_start =
    DB_STMT("sync_start", "INSERT INTO log_syncs (trigger) VALUES ($1) RETURNING id", 1, false);
static const struct db_stmt st_finish = DB_STMT(
    "sync_finish",
    DB_JSON_ROW("UPDATE log_syncs SET finished_at = clock_timestamp(), ok = $2, files_listed = $3, files_wanted = $4,"
                " files_transferred = $5, bytes_transferred = $6, files_indexed = $7, files_skipped = $8, error = $9,"
                " list_ms = $10, diff_ms = $11, fetch_ms = $12, index_ms = $13"
                " WHERE id = $1 RETURNING " SYNC_COLUMNS),
    13, false);
static const struct db_stmt st_prune =
    DB_STMT("sync_prune", "DELETE FROM log_syncs WHERE id < $1::bigint - 1000", 1, true);
/* What the index lacks or has with another size or time, less what was deleted on purpose (a tombstone
 * holds a path back until it is written again: job ids, and so names, can come again). With each path,
 * its folder when the whole folder is new (every file it lists is wanted and none is indexed, at
 * least GROUP_MIN of them, under logs/): rsync fetches such a folder as one entry, much faster than
 * file by file (a first sync). Ordered by folder, so that a folder's rows are together. */
#define GROUP_MIN "64"
static const struct db_stmt st_wanted = DB_STMT(
    "sync_wanted",
    "WITH w AS (SELECT t.path, f.id IS NULL AS new, regexp_replace(t.path, '/[^/]*$', '') AS dir"
    "   FROM sync_list t LEFT JOIN log_files f ON f.path = t.path"
    "   WHERE NOT EXISTS (SELECT 1 FROM log_tombstones d WHERE d.path = t.path AND to_timestamp(t.mtime) <= "
    "d.deleted_at)"
    "   AND (f.id IS NULL OR f.size_bytes <> t.size OR date_trunc('second', f.modified_at) <> to_timestamp(t.mtime))),"
    " listed AS (SELECT regexp_replace(path, '/[^/]*$', '') AS dir, count(*) AS n FROM sync_list"
    "   WHERE path ~ '^logs/[^/]+/[^/]+$' GROUP BY 1),"
    " g AS (SELECT l.dir FROM listed l JOIN (SELECT dir, count(*) AS n FROM w WHERE new GROUP BY dir) x"
    "   ON x.dir = l.dir WHERE x.n = l.n AND l.n >= " GROUP_MIN ")"
    " SELECT w.path, g.dir FROM w LEFT JOIN g ON g.dir = w.dir ORDER BY g.dir NULLS LAST, w.path",
    0, false);
/* Links: a job's service or run by its SLURM job id, and by the id its name carries when it has one
 * (a job id alone may belong to another aifb's service after the cluster's ids started again). */
static const struct db_stmt st_upsert =
    DB_STMT("sync_upsert",
            "INSERT INTO log_files AS f (path, category, size_bytes, modified_at, service_id, run_id, slurm_job_id)"
            " SELECT t.path, t.category, t.size, to_timestamp(t.mtime),"
            "  (SELECT s.id FROM services s WHERE s.slurm_job_id = t.job AND (t.svc IS NULL OR s.id = t.svc)"
            "   ORDER BY s.id DESC LIMIT 1),"
            "  (SELECT r.id FROM runs r WHERE r.slurm_job_id = t.job AND (t.run IS NULL OR r.id = t.run)"
            "   ORDER BY r.id DESC LIMIT 1), t.job"
            " FROM sync_files t WHERE NOT EXISTS (SELECT 1 FROM log_tombstones d WHERE d.path = t.path"
            "  AND to_timestamp(t.mtime) <= d.deleted_at)" /* deleted while this pass fetched it */
            " ON CONFLICT (path) DO UPDATE SET category = EXCLUDED.category, size_bytes = EXCLUDED.size_bytes,"
            "  modified_at = EXCLUDED.modified_at, service_id = coalesce(EXCLUDED.service_id, f.service_id),"
            "  run_id = coalesce(EXCLUDED.run_id, f.run_id), slurm_job_id = EXCLUDED.slurm_job_id, indexed_at = now()",
            0, false);
/* Files indexed before their job's row named its SLURM job id get their links later. */
static const struct db_stmt st_relink =
    DB_STMT("sync_relink",
            "UPDATE log_files f SET service_id = coalesce(f.service_id, (SELECT s.id FROM services s"
            "  WHERE s.slurm_job_id = f.slurm_job_id ORDER BY s.id DESC LIMIT 1)),"
            " run_id = coalesce(f.run_id, (SELECT r.id FROM runs r WHERE r.slurm_job_id = f.slurm_job_id"
            "  ORDER BY r.id DESC LIMIT 1))"
            " WHERE f.service_id IS NULL AND f.run_id IS NULL AND f.slurm_job_id IS NOT NULL"
            " AND f.category <> 'uncategorized' AND f.indexed_at > now() - interval '1 day'",
            0, true);

bool sync_lock(struct app *app, struct arena *a)
{
    return db_try_lock(app->db, a, LOGS_LOCK);
}

void sync_unlock(struct app *app, struct arena *a)
{
    db_unlock(app->db, a, LOGS_LOCK);
}

/* A config value that goes into rsync's -e string: its quotes cannot hold a quote. */
static const char *quotable(struct pass *p, const char *key, const char *v)
{
    if (!v || !*v || strpbrk(v, "'\"\n\\")) {
        *p->detail = arena_printf(p->a, "config: %s must be set, without quotes or backslashes", key);
        return NULL;
    }
    return v;
}

/* The source and the ssh command, from the cluster.* keys the server uses. */
static enum err remote(struct pass *p)
{
    const struct config *c = p->app->config;
    const char *host = quotable(p, "cluster.host", settings_str(c, SETTING_CLUSTER_HOST));
    const char *user = host ? quotable(p, "cluster.user", settings_str(c, SETTING_CLUSTER_USER)) : NULL;
    const char *key = user ? quotable(p, "cluster.key", settings_str(c, SETTING_CLUSTER_KEY)) : NULL;
    const char *kh = key ? quotable(p, "cluster.known_hosts", settings_str(c, SETTING_CLUSTER_KNOWN_HOSTS)) : NULL;
    /* settings_check let through a plain path only ([A-Za-z0-9._/-], no ".." component) */
    const char *dir = settings_str(c, SETTING_LOGS_REMOTE_DIR);
    long long port = settings_int(c, SETTING_CLUSTER_PORT);
    if (!kh)
        return ERR_INTERNAL;
    p->timeout_ms = (int)settings_int(c, SETTING_LOGS_SYNC_TIMEOUT_S) * 1000;
    p->src = arena_printf(p->a, "%s@%s:%s/", user, host, dir);
    p->shell = arena_printf(p->a,
                            "ssh -F /dev/null -i '%s' -o 'UserKnownHostsFile=%s' -o StrictHostKeyChecking=yes"
                            " -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10 -o ServerAliveInterval=15"
                            " -o LogLevel=ERROR -o GlobalKnownHostsFile=/dev/null -p %lld",
                            key, kh, port);
    p->rsync = settings_str(c, SETTING_LOGS_RSYNC);
    return ERR_OK;
}

/* The first line rsync or ssh wrote to stderr, or how it ended. */
static const char *failure(struct pass *p, const char *what, const struct proc_result *r)
{
    if (r->exec_errno)
        return arena_printf(p->a, "%s: cannot run %s: %s", what, p->rsync, strerror(r->exec_errno));
    if (r->timed_out)
        return arena_printf(p->a, "%s: no end after %d s (logs.sync_timeout_s)", what, p->timeout_ms / 1000);
    size_t n = strcspn(r->err, "\n");
    return n ? arena_printf(p->a, "%s: %.*s (exit %d)", what, (int)n, r->err, r->status)
             : arena_printf(p->a, "%s: exit %d", what, r->status);
}

static enum err list_remote(struct pass *p)
{
    const char *argv[24] = {p->rsync, "--list-only", "--no-h", "-r", "-e", p->shell};
    size_t n = 6;
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        argv[n++] = filters[i];
    argv[n++] = p->src;
    struct proc_result r;
    /* 24: a file vanished while rsync walked the folder; the rest of the list stands */
    if (proc_run(p->a, argv, p->timeout_ms, LIST_CAP, 64 * 1024, &r) < 0 || (r.status != 0 && r.status != 24) ||
        r.out_truncated) {
        *p->detail = r.out_truncated ? "list: over 256 MiB of listing" : failure(p, "list", &r);
        return ERR_CLUSTER_UNAVAILABLE;
    }
    size_t cap = 1024;
    p->list = arena_alloc(p->a, cap * sizeof(*p->list));
    for (char *save = NULL, *line = strtok_r(r.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (p->listed == cap) {
            struct listing_entry *more = arena_alloc(p->a, 2 * cap * sizeof(*more));
            memcpy(more, p->list, cap * sizeof(*more));
            p->list = more;
            cap *= 2;
        }
        enum listing_kind k = listing_parse(line, &p->list[p->listed]);
        if (k == LISTING_FILE)
            p->listed++;
        else if (k == LISTING_SKIP)
            p->skipped++;
    }
    return ERR_OK;
}

/* COPY sql FROM STDIN of n rows, row(p, i, b) appending row i's line(s) to b (it returns how many it
 * counts, added to *counted); sent in pieces of about COPY_FLUSH bytes. */
static enum err copy_rows(struct pass *p, const char *sql, size_t n, int (*row)(struct pass *, size_t, struct buf *),
                          int64_t *counted)
{
    enum err e = db_copy_in(p->app->db, p->a, sql, p->detail);
    if (e)
        return e;
    struct buf b;
    buf_init(&b, 2 * COPY_FLUSH);
    for (size_t i = 0; i < n && !e; i++) {
        int k = row(p, i, &b);
        if (counted)
            *counted += k;
        if ((b.len >= COPY_FLUSH || i + 1 == n) && b.len) {
            if (b.overflow || db_copy_put(p->app->db, b.data, b.len) < 0)
                e = ERR_DB_UNAVAILABLE;
            buf_clear(&b);
        }
    }
    buf_free(&b);
    int64_t rows;
    const char *ignored;
    enum err end = db_copy_end(p->app->db, p->a, e ? "the copy failed" : NULL, &rows, e ? &ignored : p->detail);
    return e ? e : end;
}

static int list_row(struct pass *p, size_t i, struct buf *b)
{
    buf_printf(b, "%s\t%" PRId64 "\t%" PRId64 "\n", p->list[i].path, p->list[i].size, p->list[i].mtime);
    return 1;
}

/* The listing into a temporary table, and what of it the index lacks or has older. */
static enum err diff_body(void *ctx)
{
    struct pass *p = ctx;
    PGresult *res;
    enum err e =
        db_command(p->app->db, p->a,
                   "CREATE TEMP TABLE sync_list (path text, size bigint, mtime bigint) ON COMMIT DROP", p->detail);
    if (e)
        return e;
    e = copy_rows(p, "COPY sync_list (path, size, mtime) FROM STDIN", p->listed, list_row, NULL);
    if (e)
        return e;
    e = db_exec(p->app->db, p->a, &st_wanted, NULL, &res, p->detail);
    if (e)
        return e;
    p->nwanted = (size_t)PQntuples(res);
    p->wanted = arena_alloc(p->a, (p->nwanted + 1) * sizeof(*p->wanted));
    p->group = arena_alloc(p->a, (p->nwanted + 1) * sizeof(*p->group));
    for (size_t i = 0; i < p->nwanted; i++) {
        p->wanted[i] = arena_strdup(p->a, PQgetvalue(res, (int)i, 0));
        p->group[i] = PQgetisnull(res, (int)i, 1) ? NULL : arena_strdup(p->a, PQgetvalue(res, (int)i, 1));
    }
    return ERR_OK;
}

static enum err diff(struct pass *p)
{
    return db_tx(p->app->db, p->a, diff_body, p, p->detail);
}

/* One entry of the list: a folder once (its rows are together), else the path. */
static bool put_entry(FILE *f, const struct pass *p, size_t i)
{
    if (p->group[i] && i > 0 && p->group[i - 1] && strcmp(p->group[i], p->group[i - 1]) == 0)
        return true;
    const char *e = p->group[i] ? p->group[i] : p->wanted[i];
    return fwrite(e, 1, strlen(e) + 1, f) == strlen(e) + 1;
}

/* The entries, NUL-separated, in a file rsync reads (--files-from --from0). */
static const char *files_from(struct pass *p)
{
    /* in run_dir, not in the mirror that Alloy reads */
    char *path = arena_printf(p->a, "%s/logs-files-from-XXXXXX", settings_str(p->app->config, SETTING_RUN_DIR));
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    bool ok = f != NULL;
    for (size_t i = 0; ok && i < p->nwanted; i++)
        ok = put_entry(f, p, i);
    if ((f ? fclose(f) : close(fd)) != 0 || !ok) {
        unlink(path);
        return NULL;
    }
    return path;
}

/* "Number of regular files transferred: 3", "Total bytes received: 1234" (--no-h: no separators). */
static int64_t stat_of(const char *out, const char *label)
{
    const char *at = strstr(out, label);
    int64_t v;
    if (!at)
        return 0;
    at += strlen(label) + strspn(at + strlen(label), " ");
    return num_i64n(at, strspn(at, "0123456789"), &v) ? v : 0;
}

/* One rsync run over the wanted paths, in place: a grown log keeps its inode, so that its readers
 * (Alloy) go on from where they were instead of reading a renamed copy from the start, and a file cut
 * off by the deadline is no stray temporary but the start the next pass's delta transfer goes on from.
 * A path gone since the listing is no error (--ignore-missing-args). */
static enum err fetch(struct pass *p)
{
    if (p->nwanted == 0)
        return ERR_OK;
    const char *list = files_from(p);
    if (!list) {
        *p->detail = arena_printf(p->a, "fetch: cannot write the file list in run_dir: %s", strerror(errno));
        return ERR_INTERNAL;
    }
    /* -r goes into a folder named whole, one level only, and takes only names the listing would (no
     * link either: no -l) */
    const char *argv[] = {p->rsync,
                          "-rt",
                          "--exclude=/logs/*/*/",
                          "--exclude=*[!A-Za-z0-9._-]*",
                          "--inplace",
                          "--ignore-missing-args",
                          "--no-h",
                          "--stats",
                          "--from0",
                          arena_printf(p->a, "--files-from=%s", list),
                          "--chmod=D0750,F0640",
                          "-e",
                          p->shell,
                          p->src,
                          arena_printf(p->a, "%s/", p->mirror),
                          NULL};
    struct proc_result r;
    int rc = proc_run(p->a, argv, p->timeout_ms, 1 << 20, 64 * 1024, &r);
    unlink(list);
    p->transferred = stat_of(r.out ? r.out : "", "Number of regular files transferred: ");
    p->bytes = stat_of(r.out ? r.out : "", "Total bytes received: ");
    if (rc == 0 && (r.status == 23 || r.status == 24)) { /* some files failed: index the rest, then report it */
        p->partial = failure(p, "fetch", &r);
        return ERR_OK;
    }
    if (rc < 0 || r.status != 0) {
        *p->detail = failure(p, "fetch", &r);
        return ERR_CLUSTER_UNAVAILABLE;
    }
    return ERR_OK;
}

/* The sync_files line of wanted path i, when it is in the mirror as a regular file: 1, else 0. */
static int put_file(struct pass *p, size_t i, struct buf *b)
{
    const char *path = p->wanted[i];
    struct stat st;
    const char *why;
    int fd = mirror_open(p->mirror, path, &st, &why);
    if (fd < 0)
        return 0; /* vanished before fetch, or refused: not indexed */
    close(fd);
    struct log_meta m;
    categorize(path, &m);
    /* microseconds, as timestamptz keeps them: nanoseconds could round up into the next second */
    buf_printf(b, "%s\t%s\t%lld\t%lld.%06ld\t", path, m.category, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
               st.st_mtim.tv_nsec / 1000);
    buf_printf(b, m.job ? "%" PRId64 "\t" : "\\N\t", m.job);
    buf_printf(b, m.service ? "%" PRId64 "\t" : "\\N\t", m.service);
    buf_printf(b, m.run ? "%" PRId64 "\n" : "\\N\n", m.run);
    return 1;
}

/* The fetched files' metadata into a temporary table, then into the index. */
static enum err index_body(void *ctx)
{
    struct pass *p = ctx;
    PGresult *res;
    p->indexed = 0; /* what a failed try counted */
    enum err e = db_command(p->app->db, p->a,
                            "CREATE TEMP TABLE sync_files (path text, category text, size bigint, mtime float8,"
                            " job bigint, svc bigint, run bigint) ON COMMIT DROP",
                            p->detail);
    if (e)
        return e;
    e = copy_rows(p, "COPY sync_files FROM STDIN", p->nwanted, put_file, &p->indexed);
    if (e)
        return e;
    e = db_exec(p->app->db, p->a, &st_upsert, NULL, &res, p->detail);
    if (e)
        return e;
    return db_exec(p->app->db, p->a, &st_relink, NULL, &res, p->detail);
}

static enum err index_fetched(struct pass *p)
{
    return db_tx(p->app->db, p->a, index_body, p, p->detail);
}

/* Runs step i, timing it. */
static enum err timed(struct pass *p, int i, enum err (*step)(struct pass *))
{
    double t0 = mono_now();
    enum err e = step(p);
    p->ms[i] = (int64_t)((mono_now() - t0) * 1000 + 0.5);
    return e;
}

/* The steps in turn; the first failure is the pass's error. */
static enum err steps(struct pass *p)
{
    enum err e = remote(p);
    if (e)
        return e;
    if (mkdir(p->mirror, 0750) < 0 && errno != EEXIST) {
        *p->detail = arena_printf(p->a, "mirror %s: %s", p->mirror, strerror(errno));
        return ERR_INTERNAL;
    }
    e = timed(p, 0, list_remote);
    if (e)
        return e;
    e = timed(p, 1, diff);
    if (e)
        return e;
    e = timed(p, 2, fetch);
    if (e)
        return e;
    if (p->nwanted) {
        e = timed(p, 3, index_fetched);
        if (e)
            return e;
    }
    if (p->partial) {
        *p->detail = p->partial;
        return ERR_CLUSTER_UNAVAILABLE;
    }
    return ERR_OK;
}

enum err sync_run(struct app *app, struct arena *a, const char *trigger, const char **row, const char **detail)
{
    setenv("TZ", "UTC", 1);
    tzset();
    PGresult *res;
    const char *p1[] = {trigger};
    enum err e = db_exec(app->db, a, &st_start, p1, &res, detail);
    if (e)
        return e;
    const char *id = arena_strdup(a, PQgetvalue(res, 0, 0));
    const char *why = NULL;
    struct pass p = {.app = app, .a = a, .detail = &why, .mirror = mirror_root(app)};
    enum err failed = steps(&p);
    if (failed && (!why || !*why))
        why = err_string(failed);
    const char *p2[] = {id,
                        failed ? "false" : "true",
                        arena_i64(a, (int64_t)p.listed),
                        arena_i64(a, (int64_t)p.nwanted),
                        arena_i64(a, p.transferred),
                        arena_i64(a, p.bytes),
                        arena_i64(a, p.indexed),
                        arena_i64(a, (int64_t)p.skipped),
                        failed ? why : NULL,
                        arena_i64(a, p.ms[0]),
                        arena_i64(a, p.ms[1]),
                        arena_i64(a, p.ms[2]),
                        arena_i64(a, p.ms[3])};
    e = db_exec(app->db, a, &st_finish, p2, &res, detail);
    if (e)
        return e;
    *row = arena_strdup(a, PQgetvalue(res, 0, 0));
    const char *p3[] = {id};
    db_exec(app->db, a, &st_prune, p3, &res, detail);
    if (failed)
        log_warn("logs: sync %s failed: %s", id, why);
    return ERR_OK;
}

static const struct db_stmt st_due =
    DB_STMT("sync_due",
            "SELECT NOT EXISTS (SELECT 1 FROM log_syncs WHERE started_at > now() - make_interval(secs => $1::float8))",
            1, true);

void sync_tick(struct app *app, struct arena *a)
{
    long long interval = settings_int(app->config, SETTING_LOGS_SYNC_INTERVAL_S);
    if (interval == 0 || !*settings_str(app->config, SETTING_CLUSTER_HOST))
        return;
    if (!sync_lock(app, a))
        return;
    PGresult *res;
    const char *detail, *row;
    const char *p[] = {arena_i64(a, interval)};
    if (db_exec(app->db, a, &st_due, p, &res, &detail) == ERR_OK && PQgetvalue(res, 0, 0)[0] == 't') {
        sync_run(app, a, "interval", &row, &detail);
        retention_tick(app, a);
    }
    sync_unlock(app, a);
}
