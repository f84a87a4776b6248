/* db: the worker's PostgreSQL connection, its transactions and its advisory lock. A connection lost
 * inside a transaction or while the lock is held is never replaced behind the caller's back: every
 * statement fails until the transaction or the locked pass ends, and only the next one reconnects. */
#include "db.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mono.h"
#include "num.h"

#define DB_MAX_PREPARED 128
/* After a failed connect, fail fast for this long instead of trying again on every request. */
#define DB_RETRY_AFTER 0.2
/* The most times db_tx runs a body that fails for a serialization failure, a deadlock or a
 * connection lost before its COMMIT. */
#define DB_TX_TRIES 3

struct db {
    char *dsn;
    PGconn *conn;
    double last_fail;
    size_t nprepared;
    const struct db_stmt *prepared[DB_MAX_PREPARED];
    bool in_tx;       /* db_tx's body runs */
    bool tx_again;    /* a statement of the body failed in a way that another run of it may not */
    bool tx_external; /* the body did something outside the database (db_tx_external) */
    bool locked;      /* db_try_lock took the lock and db_unlock has not run */
};

struct db *db_new(const char *dsn)
{
    struct db *db = calloc(1, sizeof(*db));
    if (db)
        db->dsn = strdup(dsn);
    if (!db || !db->dsn) {
        fprintf(stderr, "aifb: out of memory\n");
        abort();
    }
    return db;
}

static void drop(struct db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    db->nprepared = 0;
}

void db_free(struct db *db)
{
    if (!db)
        return;
    drop(db);
    free(db->dsn);
    free(db);
}

bool db_connected(const struct db *db)
{
    return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r')
            *s = ' ';
}

/* Why the connection may not be replaced now, or NULL: a new one would run the rest of a
 * transaction outside it, or the rest of a locked pass without the lock. */
static const char *pinned(const struct db *db)
{
    if (db->in_tx)
        return "the database connection was lost inside a transaction, which was rolled back";
    if (db->locked)
        return "the database connection was lost and the advisory lock with it: the pass stops";
    return NULL;
}

static enum err connect_db(struct db *db, const char **detail)
{
    if (db_connected(db))
        return ERR_OK;
    const char *why = pinned(db);
    if (why) {
        *detail = why;
        return ERR_DB_UNAVAILABLE;
    }
    static const char unreachable[] = "PostgreSQL is not reachable";
    drop(db);
    double t = mono_now();
    if (db->last_fail && t - db->last_fail < DB_RETRY_AFTER) {
        *detail = unreachable;
        return ERR_DB_UNAVAILABLE;
    }
    db->conn = PQconnectdb(db->dsn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db->conn));
        one_line(msg);
        if (!db->last_fail)
            log_warn("database: cannot connect: %s", msg);
        db->last_fail = t;
        drop(db);
        *detail = unreachable;
        return ERR_DB_UNAVAILABLE;
    }
    PGresult *res = PQexec(db->conn, "SET statement_timeout = '10s'; SET TimeZone = 'UTC'");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        db->last_fail = t;
        drop(db);
        *detail = unreachable;
        return ERR_DB_UNAVAILABLE;
    }
    if (db->last_fail)
        log_info("database: connected again");
    db->last_fail = 0;
    return ERR_OK;
}

static bool is_prepared(const struct db *db, const struct db_stmt *st)
{
    for (size_t i = 0; i < db->nprepared; i++)
        if (db->prepared[i] == st)
            return true;
    return false;
}

/* Sends st once; returns the raw result (maybe NULL) for classification. */
static PGresult *send_once(struct db *db, const struct db_stmt *st, const char *const *params)
{
    if (!is_prepared(db, st)) {
        if (db->nprepared == DB_MAX_PREPARED)
            return PQexecParams(db->conn, st->sql, st->nparams, NULL, params, NULL, NULL, 0);
        PGresult *p = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
        if (PQresultStatus(p) != PGRES_COMMAND_OK)
            return p;
        PQclear(p);
        db->prepared[db->nprepared++] = st;
    }
    return PQexecPrepared(db->conn, st->name, st->nparams, params, NULL, NULL, 0);
}

static bool res_ok(const PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static void clear_cb(void *res)
{
    PQclear(res);
}

static bool retryable(struct db *db, const PGresult *res);

/* Maps a failed result to an error; logs what is not the caller's fault. A failure that a
 * transaction's next try may not meet marks the open transaction for one. */
static enum err classify(struct db *db, const char *what, PGresult *res, struct arena *a, const char **detail)
{
    if (db->in_tx && retryable(db, res))
        db->tx_again = true;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        state = "";
    if (!db_connected(db) || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
        *detail = pinned(db) ? pinned(db) : "the database connection was lost";
        return ERR_DB_UNAVAILABLE;
    }
    if (strcmp(state, "23505") == 0) {
        *detail = arena_strdup(a, "a row with this key exists already");
        return ERR_CONFLICT;
    }
    if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0) {
        const char *c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
        *detail = c ? arena_printf(a, "constraint=%s: violated", c) : "a value is out of range";
        return ERR_INVALID_INPUT;
    }
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
    one_line(msg);
    log_error("database: %s failed (%s): %s", what, state, msg);
    *detail = "";
    return ERR_DB_ERROR;
}

static bool retryable(struct db *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!db_connected(db))
        return true;
    return state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0);
}

enum err db_exec(struct db *db, struct arena *a, const struct db_stmt *st, const char *const *params, PGresult **out,
                 const char **detail)
{
    *out = NULL;
    *detail = "";
    for (int attempt = 0;; attempt++) {
        enum err e = connect_db(db, detail);
        if (e)
            return e;
        *detail = "";
        PGresult *res = send_once(db, st, params);
        if (res_ok(res)) {
            arena_defer(a, clear_cb, res);
            *out = res;
            return ERR_OK;
        }
        /* A statement on its own may be sent again; in a transaction only the whole may (db_tx). */
        bool again = attempt == 0 && st->idempotent && !db->in_tx && retryable(db, res);
        if (!again) {
            e = classify(db, st->name, res, a, detail);
            PQclear(res);
            return e;
        }
        PQclear(res);
    }
}

/* True for a statement that begins or ends a transaction (a savepoint's ROLLBACK TO does not). */
static bool tx_control(const char *sql)
{
    static const char *const words[] = {"BEGIN", "START", "COMMIT", "END", "ABORT", "ROLLBACK"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i]);
        if (strncasecmp(sql, words[i], n) == 0 && (i < 5 || strncasecmp(sql + n, " TO ", 4) != 0))
            return true;
    }
    return false;
}

enum err db_command(struct db *db, struct arena *a, const char *sql, const char **detail)
{
    /* inside db_tx's body only, and never its own BEGIN or COMMIT: a transaction made by hand is
     * one whose lost connection db_exec would replace behind its back */
    assert(db->in_tx && !tx_control(sql));
    enum err e = connect_db(db, detail);
    if (e)
        return e;
    *detail = "";
    PGresult *res = PQexec(db->conn, sql);
    if (res_ok(res)) {
        PQclear(res);
        return ERR_OK;
    }
    e = classify(db, sql, res, a, detail);
    PQclear(res);
    return e;
}

static const struct db_stmt st_try_lock = DB_STMT("db_try_lock", "SELECT pg_try_advisory_lock($1::bigint)", 1, true);
static const struct db_stmt st_unlock = DB_STMT("db_unlock", "SELECT pg_advisory_unlock($1::bigint)", 1, true);

static bool lock_call(struct db *db, struct arena *a, const struct db_stmt *st, int64_t key)
{
    const char *p[] = {arena_printf(a, "%lld", (long long)key)};
    PGresult *res;
    const char *detail;
    return db_exec(db, a, st, p, &res, &detail) == ERR_OK && PQgetvalue(res, 0, 0)[0] == 't';
}

bool db_try_lock(struct db *db, struct arena *a, int64_t key)
{
    assert(!db->locked && !db->in_tx);
    db->locked = lock_call(db, a, &st_try_lock, key);
    return db->locked;
}

void db_unlock(struct db *db, struct arena *a, int64_t key)
{
    if (db->locked && db_connected(db)) /* a lost connection took the lock with it */
        lock_call(db, a, &st_unlock, key);
    db->locked = false;
}

bool db_lock_held(const struct db *db)
{
    return db->locked && db_connected(db);
}

/* -- transactions */

void db_tx_external(struct db *db)
{
    if (db && db->in_tx)
        db->tx_external = true;
}

/* BEGIN. A connection found dead here held no transaction of ours, so it is replaced once. */
static enum err begin(struct db *db, struct arena *a, const char **detail)
{
    for (int attempt = 0;; attempt++) {
        enum err e = connect_db(db, detail);
        if (e)
            return e;
        PGresult *res = PQexec(db->conn, "BEGIN");
        if (PQresultStatus(res) == PGRES_COMMAND_OK) {
            PQclear(res);
            return ERR_OK;
        }
        if (attempt > 0 || db_connected(db)) {
            e = classify(db, "BEGIN", res, a, detail);
            PQclear(res);
            return e;
        }
        PQclear(res);
    }
}

/* COMMIT. A connection that dies while it waits for the answer leaves the outcome unknown: the
 * server may have committed. One found dead before it is sent held a transaction that is gone. */
static enum err commit(struct db *db, struct arena *a, const char **detail)
{
    if (!db_connected(db)) {
        db->tx_again = true;
        *detail = pinned(db);
        return ERR_DB_UNAVAILABLE;
    }
    PGresult *res = PQexec(db->conn, "COMMIT");
    enum err e = ERR_OK;
    if (PQresultStatus(res) == PGRES_COMMAND_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        /* "ROLLBACK": a statement had failed and the body went on as if not */
        log_error("database: COMMIT rolled back a failed transaction (a statement's error was dropped)");
        *detail = "";
        e = ERR_DB_ERROR;
    } else if (PQresultStatus(res) != PGRES_COMMAND_OK && !db_connected(db)) {
        *detail = "the database connection was lost at COMMIT: the change may or may not have been made";
        e = ERR_DB_OUTCOME_UNKNOWN;
    } else if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        e = classify(db, "COMMIT", res, a, detail);
    }
    PQclear(res);
    return e;
}

static void rollback(struct db *db)
{
    if (db_connected(db))
        PQclear(PQexec(db->conn, "ROLLBACK"));
}

enum err db_tx(struct db *db, struct arena *a, enum err (*body)(void *ctx), void *ctx, const char **detail)
{
    assert(!db->in_tx);
    for (int attempt = 1;; attempt++) {
        enum err e = begin(db, a, detail);
        if (e)
            return e;
        db->in_tx = true;
        db->tx_again = db->tx_external = false;
        e = body(ctx);
        if (e)
            rollback(db);
        else
            e = commit(db, a, detail);
        bool again = e && e != ERR_DB_OUTCOME_UNKNOWN && db->tx_again && !db->tx_external && attempt < DB_TX_TRIES;
        db->in_tx = false;
        if (!again)
            return e;
        log_info("database: a transaction failed (%s) and runs again (try %d)", err_string(e), attempt + 1);
    }
}

int64_t db_int(const PGresult *res, int row, int col)
{
    int64_t v;
    return !PQgetisnull(res, row, col) && num_i64(PQgetvalue(res, row, col), &v) ? v : 0;
}

double db_float(const PGresult *res, int row, int col)
{
    double v;
    return !PQgetisnull(res, row, col) && num_f64(PQgetvalue(res, row, col), &v) ? v : NAN;
}

enum err db_copy_in(struct db *db, struct arena *a, const char *sql, const char **detail)
{
    enum err e = connect_db(db, detail);
    if (e)
        return e;
    *detail = "";
    PGresult *res = PQexec(db->conn, sql);
    if (PQresultStatus(res) == PGRES_COPY_IN) {
        PQclear(res);
        return ERR_OK;
    }
    e = classify(db, "COPY", res, a, detail);
    PQclear(res);
    return e;
}

int db_copy_put(struct db *db, const char *data, size_t len)
{
    while (len) { /* PQputCopyData takes an int length */
        int n = len > (1u << 30) ? 1 << 30 : (int)len;
        if (PQputCopyData(db->conn, data, n) != 1)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

enum err db_copy_end(struct db *db, struct arena *a, const char *abort_why, int64_t *rows, const char **detail)
{
    *detail = "";
    *rows = 0;
    if (PQputCopyEnd(db->conn, abort_why) != 1)
        return classify(db, "COPY", NULL, a, detail);
    enum err e = ERR_OK;
    PGresult *res;
    while ((res = PQgetResult(db->conn))) { /* the COPY's own result, then NULL */
        if (PQresultStatus(res) == PGRES_COMMAND_OK)
            num_i64(PQcmdTuples(res), rows);
        else if (e == ERR_OK) /* the first failure is the one to report */
            e = abort_why ? ERR_INTERNAL : classify(db, "COPY", res, a, detail);
        PQclear(res);
    }
    return e;
}

enum err db_stream(struct db *db, struct arena *a, const char *sql, const char *const *params, int nparams,
                   int (*row)(void *ctx, const PGresult *res), void *ctx, const char **detail)
{
    enum err e = connect_db(db, detail);
    if (e)
        return e;
    *detail = "";
    if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0) || !PQsetSingleRowMode(db->conn))
        return classify(db, "stream", NULL, a, detail);
    bool stopped = false;
    PGresult *res;
    while ((res = PQgetResult(db->conn))) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE && !stopped && row(ctx, res) < 0)
            stopped = true; /* the reader went away: read the rest so the connection stays usable */
        else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !e)
            e = classify(db, "stream", res, a, detail);
        PQclear(res);
    }
    return e;
}
