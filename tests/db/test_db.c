/* Tests of common/db against the real PostgreSQL of the stack (tests/integration/15_db.sh runs it
 * with the apps' DSN): transactions that commit, roll back, run again after a serialization
 * failure or a connection lost before COMMIT (never when the body did something outside the
 * database), a connection lost at COMMIT reported as an unknown outcome, a failure the body
 * dropped, and the advisory lock given up with its connection. A second, plain libpq connection
 * terminates the db's backend (pg_terminate_backend) before, inside and at the COMMIT of a
 * transaction, and while the lock is held. Scratch tables live in the schema db_check. */
#include <check.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "num.h"

static const char *dsn;

/* The side connection: set up, kill and look, outside the db under test. */
static PGconn *side(void)
{
    PGconn *c = PQconnectdb(dsn);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "side connection: %s", PQerrorMessage(c));
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static void side_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql,
                  PQresultErrorMessage(r));
    PQclear(r);
}

static long long side_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql, PQresultErrorMessage(r));
    int64_t v = -1;
    ck_assert(num_i64(PQgetvalue(r, 0, 0), &v));
    PQclear(r);
    return v;
}

static long long rows(const char *tag)
{
    PGconn *c = side();
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM db_check.rows WHERE tag = '%s'", tag);
    long long n = side_int(c, sql);
    PQfinish(c);
    return n;
}

static const struct db_stmt st_pid = DB_STMT("t_pid", "SELECT pg_backend_pid()", 0, true);
static const struct db_stmt st_insert = DB_STMT("t_insert", "INSERT INTO db_check.rows (tag) VALUES ($1)", 1, false);
static const struct db_stmt st_select = DB_STMT("t_select", "SELECT count(*) FROM db_check.rows", 0, true);
static const struct db_stmt st_read = DB_STMT("t_read", "SELECT v FROM db_check.counter WHERE id = 1", 0, true);
static const struct db_stmt st_bump =
    DB_STMT("t_bump", "UPDATE db_check.counter SET v = $1::bigint + 1 WHERE id = 1", 1, false);
static const struct db_stmt st_bad = DB_STMT("t_bad", "SELECT 1 / 0", 0, true);

/* Terminates pid's backend and waits until it is gone. */
static void kill_backend(long long pid)
{
    PGconn *c = side();
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld, 5000)::int", pid);
    ck_assert_int_eq(side_int(c, sql), 1);
    PQfinish(c);
}

static long long backend_pid(struct db *db, struct arena *a)
{
    PGresult *res;
    const char *detail;
    ck_assert_int_eq(db_exec(db, a, &st_pid, NULL, &res, &detail), ERR_OK);
    return db_int(res, 0, 0);
}

/* What a body did, for the test to look at afterwards. */
struct body {
    struct db *db;
    struct arena *a;
    const char *tag;
    int runs;        /* times the body ran */
    bool kill_first; /* terminate its own backend in the first run, after the INSERT */
    bool external;   /* call db_tx_external before anything else */
    bool drop_error; /* run a failing statement and return ERR_OK anyway */
    enum err after;  /* what the statement after the kill returned in the first run */
    const char *after_detail;
    enum err fail_with; /* returned after the INSERT when not ERR_OK */
};

static enum err insert_body(void *ctx)
{
    struct body *b = ctx;
    PGresult *res;
    const char *detail;
    b->runs++;
    if (b->external)
        db_tx_external(b->db);
    const char *p[] = {b->tag};
    enum err e = db_exec(b->db, b->a, &st_insert, p, &res, &detail);
    if (e)
        return e;
    if (b->kill_first && b->runs == 1) {
        kill_backend(backend_pid(b->db, b->a));
        /* idempotent, so db_exec would send it again on a new connection outside a transaction */
        b->after = db_exec(b->db, b->a, &st_select, NULL, &res, &b->after_detail);
        return b->after;
    }
    if (b->drop_error)
        db_exec(b->db, b->a, &st_bad, NULL, &res, &detail);
    return b->fail_with;
}

static struct db *db;
static struct arena *a;

static void setup(void)
{
    PGconn *c = side();
    side_exec(c, "DROP SCHEMA IF EXISTS db_check CASCADE");
    side_exec(c, "CREATE SCHEMA db_check");
    side_exec(c, "CREATE TABLE db_check.rows (id bigint GENERATED ALWAYS AS IDENTITY, tag text NOT NULL)");
    side_exec(c, "CREATE TABLE db_check.counter (id int PRIMARY KEY, v bigint NOT NULL)");
    side_exec(c, "INSERT INTO db_check.counter VALUES (1, 0)");
    /* A COMMIT that takes 2 s: a deferred constraint trigger on rows tagged 'stall'. */
    side_exec(c, "CREATE FUNCTION db_check.stall() RETURNS trigger LANGUAGE plpgsql AS"
                 " 'BEGIN PERFORM pg_sleep(2); RETURN NULL; END'");
    side_exec(c, "CREATE CONSTRAINT TRIGGER stall AFTER INSERT ON db_check.rows DEFERRABLE INITIALLY DEFERRED"
                 " FOR EACH ROW WHEN (NEW.tag = 'stall') EXECUTE FUNCTION db_check.stall()");
    PQfinish(c);
    db = db_new(dsn);
    a = arena_new(4096);
}

static void teardown(void)
{
    arena_free(a);
    db_free(db);
    PGconn *c = side();
    side_exec(c, "DROP SCHEMA IF EXISTS db_check CASCADE");
    PQfinish(c);
}

START_TEST(test_commit_and_rollback)
{
    const char *detail;
    struct body b = {.db = db, .a = a, .tag = "commit"};
    ck_assert_int_eq(db_tx(db, a, insert_body, &b, &detail), ERR_OK);
    ck_assert_int_eq(rows("commit"), 1);
    struct body f = {.db = db, .a = a, .tag = "rollback", .fail_with = ERR_INVALID_INPUT};
    ck_assert_int_eq(db_tx(db, a, insert_body, &f, &detail), ERR_INVALID_INPUT);
    ck_assert_int_eq(rows("rollback"), 0);
    ck_assert_int_eq(f.runs, 1);
}
END_TEST

START_TEST(test_killed_before_the_transaction)
{
    const char *detail;
    kill_backend(backend_pid(db, a));
    struct body b = {.db = db, .a = a, .tag = "before"};
    ck_assert_int_eq(db_tx(db, a, insert_body, &b, &detail), ERR_OK);
    ck_assert_int_eq(b.runs, 1);
    ck_assert_int_eq(rows("before"), 1);
}
END_TEST

/* The case: BEGIN; INSERT; (killed); an idempotent statement; COMMIT. Before, the
 * statement reconnected outside the transaction and every call said ok with 0 rows stored. */
START_TEST(test_killed_inside_runs_the_whole_again)
{
    const char *detail;
    struct body b = {.db = db, .a = a, .tag = "inside", .kill_first = true};
    ck_assert_int_eq(db_tx(db, a, insert_body, &b, &detail), ERR_OK);
    ck_assert_int_eq(b.after, ERR_DB_UNAVAILABLE); /* never sent on a new connection in the transaction */
    ck_assert_msg(strstr(b.after_detail, "inside a transaction"), "detail: %s", b.after_detail);
    ck_assert_int_eq(b.runs, 2);
    ck_assert_int_eq(rows("inside"), 1);
}
END_TEST

START_TEST(test_killed_inside_after_a_submit_is_not_run_again)
{
    const char *detail;
    struct body b = {.db = db, .a = a, .tag = "external", .kill_first = true, .external = true};
    ck_assert_int_eq(db_tx(db, a, insert_body, &b, &detail), ERR_DB_UNAVAILABLE);
    ck_assert_int_eq(b.runs, 1);
    ck_assert_int_eq(rows("external"), 0);
    /* the next use reconnects */
    struct body c = {.db = db, .a = a, .tag = "next"};
    ck_assert_int_eq(db_tx(db, a, insert_body, &c, &detail), ERR_OK);
    ck_assert_int_eq(rows("next"), 1);
}
END_TEST

START_TEST(test_killed_at_commit_is_an_unknown_outcome)
{
    long long pid = backend_pid(db, a);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) { /* wait until the backend runs COMMIT (the trigger sleeps in it), then kill it */
        PGconn *c = PQconnectdb(dsn);
        char sql[160];
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity WHERE pid = %lld AND query = 'COMMIT'", pid);
        for (int i = 0; i < 200; i++) {
            PGresult *r = PQexec(c, sql);
            bool there = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "1") == 0;
            PQclear(r);
            if (there) {
                snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld, 5000)", pid);
                PQclear(PQexec(c, sql));
                PQfinish(c);
                _exit(0);
            }
            usleep(10000);
        }
        PQfinish(c);
        _exit(1);
    }
    const char *detail;
    struct body b = {.db = db, .a = a, .tag = "stall"};
    enum err e = db_tx(db, a, insert_body, &b, &detail);
    int status;
    waitpid(child, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the killer never saw COMMIT");
    ck_assert_int_eq(e, ERR_DB_OUTCOME_UNKNOWN);
    ck_assert_msg(strstr(detail, "COMMIT"), "detail: %s", detail);
    ck_assert_int_eq(b.runs, 1); /* never run again: it may have been committed */
}
END_TEST

/* A read, a concurrent committed update of the same row, then the write: 40001 at REPEATABLE READ. */
struct bump {
    struct db *db;
    struct arena *a;
    int runs;
    bool external;
    const char *detail;
};

static enum err bump_body(void *ctx)
{
    struct bump *b = ctx;
    PGresult *res;
    b->runs++;
    if (b->external)
        db_tx_external(b->db);
    enum err e = db_command(b->db, b->a, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", &b->detail);
    if (e)
        return e;
    e = db_exec(b->db, b->a, &st_read, NULL, &res, &b->detail);
    if (e)
        return e;
    const char *p[] = {arena_strdup(b->a, PQgetvalue(res, 0, 0))};
    if (b->runs == 1) {
        PGconn *c = side();
        side_exec(c, "UPDATE db_check.counter SET v = v + 100 WHERE id = 1");
        PQfinish(c);
    }
    return db_exec(b->db, b->a, &st_bump, p, &res, &b->detail);
}

START_TEST(test_serialization_failure_runs_the_whole_again)
{
    const char *detail;
    struct bump b = {db, a, 0, false, ""};
    ck_assert_int_eq(db_tx(db, a, bump_body, &b, &detail), ERR_OK);
    ck_assert_int_eq(b.runs, 2);
    PGconn *c = side();
    ck_assert_int_eq(side_int(c, "SELECT v FROM db_check.counter WHERE id = 1"), 101);
    PQfinish(c);
}
END_TEST

START_TEST(test_serialization_failure_after_a_submit_is_not_run_again)
{
    const char *detail;
    struct bump b = {db, a, 0, true, ""};
    ck_assert_int_ne(db_tx(db, a, bump_body, &b, &detail), ERR_OK);
    ck_assert_int_eq(b.runs, 1);
    PGconn *c = side();
    ck_assert_int_eq(side_int(c, "SELECT v FROM db_check.counter WHERE id = 1"), 100);
    PQfinish(c);
}
END_TEST

START_TEST(test_a_dropped_error_is_not_a_commit)
{
    const char *detail;
    struct body b = {.db = db, .a = a, .tag = "dropped", .drop_error = true};
    ck_assert_int_eq(db_tx(db, a, insert_body, &b, &detail), ERR_DB_ERROR);
    ck_assert_int_eq(rows("dropped"), 0);
}
END_TEST

START_TEST(test_lock_lost_with_its_connection_stops_the_pass)
{
    const int64_t key = 7340033;
    PGresult *res;
    const char *detail;
    ck_assert(db_try_lock(db, a, key));
    PGconn *c = side();
    ck_assert_int_eq(side_int(c, "SELECT pg_try_advisory_lock(7340033)::int"), 0); /* held */
    kill_backend(backend_pid(db, a));
    /* the pass goes on: no statement runs on a new connection without the lock */
    ck_assert_int_eq(db_exec(db, a, &st_select, NULL, &res, &detail), ERR_DB_UNAVAILABLE);
    ck_assert_msg(strstr(detail, "advisory lock"), "detail: %s", detail);
    ck_assert_int_eq(db_exec(db, a, &st_select, NULL, &res, &detail), ERR_DB_UNAVAILABLE);
    ck_assert(!db_lock_held(db));
    struct body b = {.db = db, .a = a, .tag = "unlocked"};
    ck_assert_int_eq(db_tx(db, a, insert_body, &b, &detail), ERR_DB_UNAVAILABLE);
    ck_assert_int_eq(b.runs, 0);
    /* and it was lost indeed: another session takes it */
    ck_assert_int_eq(side_int(c, "SELECT pg_try_advisory_lock(7340033)::int"), 1);
    side_exec(c, "SELECT pg_advisory_unlock(7340033)");
    PQfinish(c);
    db_unlock(db, a, key);
    ck_assert_int_eq(db_exec(db, a, &st_select, NULL, &res, &detail), ERR_OK); /* the next pass reconnects */
    ck_assert(db_try_lock(db, a, key));
    ck_assert(db_lock_held(db));
    db_unlock(db, a, key);
}
END_TEST

int main(int argc, char **argv)
{
    dsn = argc > 1 ? argv[1] : getenv("AIFB_DB_DSN");
    if (!dsn) {
        fprintf(stderr, "usage: test_db DSN (or AIFB_DB_DSN)\n");
        return 2;
    }
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("db");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_commit_and_rollback);
    tcase_add_test(tc, test_killed_before_the_transaction);
    tcase_add_test(tc, test_killed_inside_runs_the_whole_again);
    tcase_add_test(tc, test_killed_inside_after_a_submit_is_not_run_again);
    tcase_add_test(tc, test_killed_at_commit_is_an_unknown_outcome);
    tcase_add_test(tc, test_serialization_failure_runs_the_whole_again);
    tcase_add_test(tc, test_serialization_failure_after_a_submit_is_not_run_again);
    tcase_add_test(tc, test_a_dropped_error_is_not_a_commit);
    tcase_add_test(tc, test_lock_lost_with_its_connection_stops_the_pass);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_VERBOSE);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
