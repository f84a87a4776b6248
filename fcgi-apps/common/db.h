/* db: one PostgreSQL connection per worker, prepared statements, transactions (db_tx), the periodic
 * work's advisory lock, reconnection after the server restarts, and the classification of failures
 * (no row / retryable / hard) into enum err. SQL is only ever parameterised: statements are
 * declared with DB_STMT and prepared on first use. */
#ifndef AIFB_DB_H
#define AIFB_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "err.h"

struct db;

/* A statement. idempotent: sent on its own (not in db_tx), it may be sent again after a lost
 * connection or a serialization failure. */
struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
    bool idempotent;
};
/* clang-format off */
#define DB_STMT(name, sql, nparams, idempotent) {name, sql, nparams, idempotent}

/* Statements for rows_list and rows_one: PostgreSQL renders the rows as JSON text in one column
 * (json_agg keeps the inner ORDER BY), which costs the worker far less than building them with
 * jansson row by row. The inner statement may be a SELECT or an INSERT/UPDATE/DELETE RETURNING. */
#define DB_JSON_ROWS(sql) "WITH t AS (" sql ") SELECT coalesce(json_agg(t), '[]')::text FROM t"
#define DB_JSON_ROW(sql) "WITH t AS (" sql ") SELECT row_to_json(t)::text FROM t"
/* clang-format on */

/* Returns a handle that connects to dsn on first use; the caller frees it with db_free. */
struct db *db_new(const char *dsn);
void db_free(struct db *db);

/* Runs st with params (nparams strings, NULL meaning SQL NULL). On ERR_OK *out holds the result,
 * cleared with the arena. Errors: ERR_DB_UNAVAILABLE (cannot connect, or the connection was lost
 * and st is not idempotent, or was lost inside db_tx's body or under db_try_lock: then every later
 * statement fails too, until the transaction or the lock ends), ERR_CONFLICT (a unique key),
 * ERR_INVALID_INPUT (a check, foreign key or data error), ERR_DB_ERROR (anything else; logged).
 * *detail gets a message safe to show. */
enum err db_exec(struct db *db, struct arena *a, const struct db_stmt *st, const char *const *params, PGresult **out,
                 const char **detail);

/* Runs sql (a fixed statement without parameters: SAVEPOINT, SET LOCAL, CREATE TEMP TABLE) inside
 * db_tx's body, never outside it nor to begin or end a transaction (asserted: a programmer error).
 * Same errors as db_exec; never sent twice. */
enum err db_command(struct db *db, struct arena *a, const char *sql, const char **detail);

/* COPY ... FROM STDIN: db_copy_in starts it (sql is a fixed statement), db_copy_put sends bytes
 * (-1 when the connection fails), db_copy_end finishes it, or aborts it when abort_why is not NULL
 * (nothing of it stays), and gives the rows taken. Errors as db_exec; a COPY cannot be retried. */
enum err db_copy_in(struct db *db, struct arena *a, const char *sql, const char **detail);
int db_copy_put(struct db *db, const char *data, size_t len);
enum err db_copy_end(struct db *db, struct arena *a, const char *abort_why, int64_t *rows, const char **detail);

/* Runs sql with params and calls row(ctx, res) for each row as it comes (libpq's single-row mode),
 * so a result of any size streams in constant memory; row returns -1 to stop taking rows. */
enum err db_stream(struct db *db, struct arena *a, const char *sql, const char *const *params, int nparams,
                   int (*row)(void *ctx, const PGresult *res), void *ctx, const char **detail);

/* Runs body(ctx) in one transaction: BEGIN, the body (its statements through db_exec, db_command,
 * db_copy_* or db_stream on db), then COMMIT when it returns ERR_OK, else ROLLBACK; no nesting.
 * The whole runs again (DB_TX_TRIES times at most) after a serialization failure, a deadlock or a
 * connection lost before COMMIT, unless the body called db_tx_external; a single statement inside
 * is never sent again. Returns the body's error, or the database's: ERR_DB_OUTCOME_UNKNOWN when the
 * connection was lost waiting for COMMIT's answer (never retried: the change may have been made). */
enum err db_tx(struct db *db, struct arena *a, enum err (*body)(void *ctx), void *ctx, const char **detail);

/* Tells the open transaction (if any) that its body changed something outside the database (a
 * SLURM job submitted or cancelled): db_tx will not run it again. db may be NULL. */
void db_tx_external(struct db *db);

/* The periodic work's one-worker-at-a-time: a session-level PostgreSQL advisory lock on key, across
 * every worker of every host; one at a time per db. db_try_lock is false when another holds it or
 * the database is away. A connection lost while it is held takes it along: from then on every
 * statement fails (ERR_DB_UNAVAILABLE) until db_unlock, so the pass stops rather than run unlocked
 * beside another worker's. */
bool db_try_lock(struct db *db, struct arena *a, int64_t key);
void db_unlock(struct db *db, struct arena *a, int64_t key);

/* True while the lock db_try_lock took is still held (its connection alive). */
bool db_lock_held(const struct db *db);

/* True when the last use left a working connection. */
bool db_connected(const struct db *db);

/* Column col of row as an integer (0 for NULL or not a number). */
int64_t db_int(const PGresult *res, int row, int col);

/* Column col of row as a double (NaN for NULL or not a finite number). */
double db_float(const PGresult *res, int row, int col);

#endif
