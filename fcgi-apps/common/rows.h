/* rows: the answers of handlers that read PostgreSQL: a list of rows under one key, or one row
 * (or its not-found error). They run a declared statement with the handler's parameters. */
#ifndef AIFB_ROWS_H
#define AIFB_ROWS_H

#include "db.h"
#include "err.h"

struct req;

/* Runs st, a DB_JSON_ROWS statement, and answers 200 with {"<key>": [row, ...]}. Returns ERR_OK or the db error (with
 * detail). */
enum err rows_list(struct req *r, const struct db_stmt *st, const char *const *params, const char *key);

/* Runs st, a DB_JSON_ROW statement, and answers status with its row; no row answers not_found with "id=<params[0]>".
 * Returns ERR_OK, not_found or the db error. */
enum err rows_one(struct req *r, const struct db_stmt *st, const char *const *params, int status, enum err not_found);

/* Streams the first column of each row of sql (text) to r's reply as PostgreSQL hands it over, sep
 * (NULL: nothing) between rows; the head has gone already (reply_stream_start). A client that went
 * away stops it quietly; database errors are returned, with detail, for the caller to log. */
enum err rows_stream(struct req *r, const char *sql, const char *const *params, int nparams, const char *sep);

#endif
