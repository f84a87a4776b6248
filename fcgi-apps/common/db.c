/* db: the worker's PostgreSQL connection. */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define DB_MAX_PREPARED 128
/* After a failed connect, fail fast for this long instead of trying again on every request. */
#define DB_RETRY_AFTER 0.2

struct db {
    char *dsn;
    PGconn *conn;
    double last_fail;
    size_t nprepared;
    const struct db_stmt *prepared[DB_MAX_PREPARED];
};

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct db *db_new(const char *dsn)
{
    struct db *db = calloc(1, sizeof(*db));
    if (!db || !(db->dsn = strdup(dsn))) {
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

static enum err connect_db(struct db *db)
{
    if (db_connected(db))
        return ERR_OK;
    drop(db);
    double t = now_mono();
    if (db->last_fail && t - db->last_fail < DB_RETRY_AFTER)
        return ERR_DB_UNAVAILABLE;
    db->conn = PQconnectdb(db->dsn);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(db->conn));
        one_line(msg);
        if (!db->last_fail)
            log_warn("database: cannot connect: %s", msg);
        db->last_fail = t;
        drop(db);
        return ERR_DB_UNAVAILABLE;
    }
    PGresult *res = PQexec(db->conn, "SET statement_timeout = '10s'; SET TimeZone = 'UTC'");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        db->last_fail = t;
        drop(db);
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

/* Maps a failed result to an error; logs what is not the caller's fault. */
static enum err classify(struct db *db, const char *what, PGresult *res, struct arena *a, const char **detail)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        state = "";
    if (!db_connected(db) || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
        *detail = "the database connection was lost";
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
        enum err e = connect_db(db);
        if (e) {
            *detail = "PostgreSQL is not reachable";
            return e;
        }
        PGresult *res = send_once(db, st, params);
        if (res_ok(res)) {
            arena_defer(a, clear_cb, res);
            *out = res;
            return ERR_OK;
        }
        bool again = attempt == 0 && st->idempotent && retryable(db, res);
        if (!again) {
            e = classify(db, st->name, res, a, detail);
            PQclear(res);
            return e;
        }
        PQclear(res);
    }
}

enum err db_command(struct db *db, struct arena *a, const char *sql, const char **detail)
{
    *detail = "";
    enum err e = connect_db(db);
    if (e)
        return e;
    PGresult *res = PQexec(db->conn, sql);
    if (res_ok(res)) {
        PQclear(res);
        return ERR_OK;
    }
    e = classify(db, sql, res, a, detail);
    PQclear(res);
    return e;
}

int64_t db_int(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return 0;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Type OIDs from pg_type.h, which libpq-dev does not install for clients. */
enum {
    OID_BOOL = 16,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_JSON = 114,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_TIMESTAMPTZ = 1184,
    OID_NUMERIC = 1700,
    OID_JSONB = 3802
};

/* "2026-11-27 07:30:00.123+00" as "2026-11-27T07:30:00.123Z" (the session runs in UTC). */
static json_t *timestamp_json(const char *v)
{
    char s[64];
    snprintf(s, sizeof(s), "%s", v);
    char *sp = strchr(s, ' ');
    if (sp)
        *sp = 'T';
    size_t n = strlen(s);
    if (n > 3 && strcmp(s + n - 3, "+00") == 0)
        memcpy(s + n - 3, "Z", 2);
    return json_string(s);
}

static json_t *value_json(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return json_null();
    const char *v = PQgetvalue(res, row, col);
    switch (PQftype(res, col)) {
    case OID_BOOL:
        return json_boolean(v[0] == 't');
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return json_integer(strtoll(v, NULL, 10));
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        return json_real(strtod(v, NULL));
    case OID_JSON:
    case OID_JSONB: {
        json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
        return j ? j : json_null();
    }
    case OID_TIMESTAMPTZ:
        return timestamp_json(v);
    default:
        return json_string(v);
    }
}

json_t *db_row_json(const PGresult *res, int row)
{
    json_t *o = json_object();
    for (int c = 0; c < PQnfields(res); c++)
        json_object_set_new(o, PQfname(res, c), value_json(res, row, c));
    return o;
}

json_t *db_rows_json(const PGresult *res)
{
    json_t *a = json_array();
    for (int r = 0; r < PQntuples(res); r++)
        json_array_append_new(a, db_row_json(res, r));
    return a;
}
