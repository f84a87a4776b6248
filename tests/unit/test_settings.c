/* Unit tests of common/settings: unknown keys refused with their name and line, values of the wrong
 * type or out of range refused (from the file and from AIFB_* overrides), the defaults when a key is
 * absent, overrides read through the typed getters, the list's own rows (defaults that pass their
 * check, log.level's words), and README.md's table, which must be settings_doc's output. */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "settings.h"

#define DSN "db.dsn = host=/tmp dbname=aifb\n"

static char err[512];

static void clear_env(void)
{
    unsetenv("AIFB_WORKERS");
    unsetenv("AIFB_DB_DSN");
    unsetenv("AIFB_LOG_LEVEL");
    unsetenv("AIFB_SERVER_WORKERS");
    unsetenv("AIFB_CLUSTER_HOST");
    err[0] = '\0';
}

static struct config *parse(const char *text)
{
    struct config *c = config_parse(text, err, sizeof(err));
    ck_assert_msg(c != NULL, "config_parse refused %s: %s", text, err);
    return c;
}

/* The check of text as file f.conf passes. */
static void accepted(const char *text)
{
    struct config *c = parse(text);
    err[0] = '\0';
    ck_assert_msg(settings_check(c, "f.conf", err, sizeof(err)) == 0, "refused %s: %s", text, err);
    config_free(c);
}

/* The check of text as file f.conf fails with a message that holds want. */
static void refused(const char *text, const char *want)
{
    struct config *c = parse(text);
    err[0] = '\0';
    ck_assert_msg(settings_check(c, "f.conf", err, sizeof(err)) == -1, "took %s", text);
    ck_assert_msg(strstr(err, want) != NULL, "error for '%s' is '%s', wanted '%s'", text, err, want);
    ck_assert_msg(strchr(err, '\n') == NULL, "error is more than one line: '%s'", err);
    config_free(c);
}

START_TEST(test_unknown_key_refused)
{
    refused(DSN "workers = 4\nlog_dir = /x\n", "f.conf:3: unknown key 'log_dir'");
    refused("# the stack's file\n" DSN "worker = 4\n", "f.conf:3: unknown key 'worker'");
    refused(DSN "cluster.hostname = x\n", "unknown key 'cluster.hostname'");
    refused(DSN "db.dsn.x = 1\n", "unknown key 'db.dsn.x'");
    /* one program's keys exist for the four programs only */
    refused(DSN "agent.workers = 2\n", "f.conf:2: unknown key 'agent.workers'");
    refused(DSN "server.workerz = 2\n", "unknown key 'server.workerz'");
    refused(DSN "app.socket = /x\n", "unknown key 'app.socket'");
    /* a key given twice is named at the line that set it last */
    refused(DSN "bogus = 1\n\nbogus = 2\n", "f.conf:4: unknown key 'bogus'");
}
END_TEST

START_TEST(test_known_keys_accepted)
{
    accepted(DSN);
    accepted(DSN "workers = 8\nserver.workers = 2\nclient.workers = 64\nmonitoring.tick_ms = 100\n"
                 "logs.socket = /tmp/l.sock\nlog.level = debug\ncluster.host =\ncluster.port = 65535\n"
                 "client.pushgateway_url =\nhttp.address = [::1]:8080\nlogs.retention_max_bytes = "
                 "9223372036854775807\ncluster.agent = /opt/aifb/bin/aifb-agent\nlogs.remote_dir = .aifb/state\n");
}
END_TEST

START_TEST(test_bad_type_refused)
{
    refused(DSN "workers = many\n", "f.conf:2: workers: 'many' is not a whole number from 1 to 64");
    refused(DSN "workers = 4.5\n", "'4.5' is not a whole number");
    refused(DSN "cluster.port = 22x\n", "cluster.port: '22x' is not a whole number");
    refused(DSN "logs.sync_interval_s =\n", "logs.sync_interval_s: '' is not a whole number");
    refused(DSN "log.level = loud\n", "log.level: 'loud' is not one of: debug info warn error");
    refused(DSN "log.level = inf\n", "'inf' is not one of");
    refused(DSN "log.level = info warn\n", "is not one of");
    refused(DSN "http.address = localhost\n", "http.address: 'localhost' is not host:port");
    refused(DSN "http.address = :8080\n", "is not host:port");
    refused(DSN "http.address = h:0\n", "is not host:port");
    refused(DSN "client.pushgateway_url = ftp://x\n", "client.pushgateway_url: 'ftp://x' is not an http");
    refused(DSN "monitoring.prometheus_url =\n", "monitoring.prometheus_url: is empty");
    refused(DSN "cluster.agent = ../bin/aifb-agent\n", "cluster.agent: '../bin/aifb-agent' has characters");
    refused(DSN "logs.remote_dir = a/../b\n", "logs.remote_dir:");
    refused(DSN "cluster.loadgen = bin/load gen\n", "cluster.loadgen:");
    refused(DSN "cluster.loadgen = bin/'x'\n", "cluster.loadgen:");
    refused(DSN "logs.rsync =\n", "logs.rsync: is empty");
    refused(DSN "run_dir =\n", "run_dir: is empty");
    refused("db.dsn =\n", "db.dsn: is empty");
}
END_TEST

START_TEST(test_out_of_range_refused)
{
    refused(DSN "workers = 0\n", "workers: '0' is not a whole number from 1 to 64");
    refused(DSN "workers = 65\n", "from 1 to 64");
    refused(DSN "logs.workers = 100\n", "f.conf:2: logs.workers: '100' is not a whole number from 1 to 64");
    refused(DSN "cluster.port = 0\n", "cluster.port: '0' is not a whole number from 1 to 65535");
    refused(DSN "cluster.port = 65536\n", "from 1 to 65535");
    refused(DSN "logs.sync_timeout_s = 4\n", "from 5 to 86400");
    refused(DSN "logs.sync_interval_s = -1\n", "from 0 to 86400");
    refused(DSN "reply.max_bytes = 1073741825\n", "from 4096 to 1073741824");
    refused(DSN "server.tick_ms = 99\n", "server.tick_ms: '99'");
    refused(DSN "logs.retention_max_bytes = 9223372036854775808\n", "logs.retention_max_bytes:");
    char text[512];
    snprintf(text, sizeof(text), DSN "server.socket = /%0103d\n", 0);
    refused(text, "server.socket: is over 103 bytes");
}
END_TEST

START_TEST(test_required_key)
{
    refused("workers = 4\n", "db.dsn: not set (in f.conf or AIFB_DB_DSN)");
    struct config *c = parse("");
    ck_assert_int_eq(settings_check(c, NULL, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "db.dsn: not set (in (no config file) or AIFB_DB_DSN)") != NULL, "error is '%s'", err);
    setenv("AIFB_DB_DSN", "host=/tmp", 1); /* no file: the environment alone */
    ck_assert_msg(settings_check(c, NULL, err, sizeof(err)) == 0, "refused: %s", err);
    ck_assert_str_eq(settings_str(c, SETTING_DB_DSN), "host=/tmp");
    config_free(c);
}
END_TEST

START_TEST(test_defaults_when_absent)
{
    struct config *c = parse(DSN);
    ck_assert_int_eq(settings_check(c, "f.conf", err, sizeof(err)), 0);
    ck_assert_str_eq(settings_str(c, SETTING_DB_DSN), "host=/tmp dbname=aifb");
    ck_assert_str_eq(settings_str(c, SETTING_RUN_DIR), "var/run");
    ck_assert_int_eq(settings_int(c, SETTING_WORKERS), 4);
    ck_assert_ptr_null(settings_app_str(c, SETTING_APP_WORKERS, "server"));
    ck_assert_ptr_null(settings_app_str(c, SETTING_APP_SOCKET, "logs"));
    ck_assert_int_eq(settings_app_int(c, SETTING_APP_TICK_MS, "client"), 2000);
    ck_assert_int_eq(settings_int(c, SETTING_REPLY_MAX_BYTES), 8 << 20);
    ck_assert_str_eq(settings_str(c, SETTING_LOG_LEVEL), "info");
    ck_assert_str_eq(settings_str(c, SETTING_CLUSTER_HOST), "");
    ck_assert_int_eq(settings_int(c, SETTING_CLUSTER_PORT), 22);
    ck_assert_int_eq(settings_int(c, SETTING_CLUSTER_TIMEOUT_MS), 15000);
    ck_assert_int_eq(settings_int(c, SETTING_CLUSTER_TUNNEL_TIMEOUT_MS), 600000);
    ck_assert_str_eq(settings_str(c, SETTING_CLUSTER_AGENT), ".aifb/bin/aifb-agent");
    ck_assert_str_eq(settings_str(c, SETTING_CLUSTER_LOADGEN), ".aifb/bin/aifb-loadgen");
    ck_assert_str_eq(settings_str(c, SETTING_CLIENT_PUSHGATEWAY_URL), "http://127.0.0.1:9091");
    ck_assert_str_eq(settings_str(c, SETTING_HTTP_ADDRESS), "127.0.0.1:8080");
    ck_assert_str_eq(settings_str(c, SETTING_MONITORING_PROMETHEUS_URL), "http://127.0.0.1:9090");
    ck_assert_int_eq(settings_int(c, SETTING_MONITORING_PROMETHEUS_TIMEOUT_MS), 30000);
    ck_assert_int_eq(settings_int(c, SETTING_LOGS_SYNC_INTERVAL_S), 30);
    ck_assert_int_eq(settings_int(c, SETTING_LOGS_SYNC_TIMEOUT_S), 600);
    ck_assert_str_eq(settings_str(c, SETTING_LOGS_REMOTE_DIR), ".aifb/state");
    ck_assert_str_eq(settings_str(c, SETTING_LOGS_MIRROR_DIR), "");
    ck_assert_str_eq(settings_str(c, SETTING_LOGS_RSYNC), "rsync");
    ck_assert_int_eq(settings_int(c, SETTING_LOGS_RETENTION_DAYS), 0);
    ck_assert_int_eq(settings_int(c, SETTING_LOGS_RETENTION_MAX_BYTES), 0);
    config_free(c);
}
END_TEST

START_TEST(test_file_values)
{
    struct config *c = parse(DSN "workers = 8\nserver.workers = 2\nlogs.tick_ms = 500\nlogs.retention_max_bytes = "
                                 "9223372036854775807\ncluster.host = login.example\n");
    ck_assert_int_eq(settings_check(c, "f.conf", err, sizeof(err)), 0);
    ck_assert_int_eq(settings_int(c, SETTING_WORKERS), 8);
    ck_assert_int_eq(settings_app_int(c, SETTING_APP_WORKERS, "server"), 2);
    ck_assert_ptr_null(settings_app_str(c, SETTING_APP_WORKERS, "client"));
    ck_assert_int_eq(settings_app_int(c, SETTING_APP_TICK_MS, "logs"), 500);
    ck_assert_int_eq(settings_app_int(c, SETTING_APP_TICK_MS, "server"), 2000);
    ck_assert(settings_int(c, SETTING_LOGS_RETENTION_MAX_BYTES) == LLONG_MAX);
    ck_assert_str_eq(settings_str(c, SETTING_CLUSTER_HOST), "login.example");
    config_free(c);
}
END_TEST

START_TEST(test_env_override)
{
    struct config *c = parse(DSN "workers = 8\ncluster.host = login.example\n");
    setenv("AIFB_WORKERS", "16", 1);
    setenv("AIFB_SERVER_WORKERS", "3", 1);
    setenv("AIFB_CLUSTER_HOST", "", 1); /* an empty override: no cluster */
    ck_assert_msg(settings_check(c, "f.conf", err, sizeof(err)) == 0, "refused: %s", err);
    ck_assert_int_eq(settings_int(c, SETTING_WORKERS), 16);
    ck_assert_int_eq(settings_app_int(c, SETTING_APP_WORKERS, "server"), 3);
    ck_assert_str_eq(settings_str(c, SETTING_CLUSTER_HOST), "");
    config_free(c);
}
END_TEST

START_TEST(test_env_override_checked)
{
    struct config *c = parse(DSN);
    setenv("AIFB_WORKERS", "0", 1);
    ck_assert_int_eq(settings_check(c, "f.conf", err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "AIFB_WORKERS (environment): workers: '0' is not a whole number from 1 to 64"),
                  "error is '%s'", err);
    /* what the getter gives for a value the check refused: the default */
    ck_assert_int_eq(settings_int(c, SETTING_WORKERS), 4);
    unsetenv("AIFB_WORKERS");
    setenv("AIFB_SERVER_WORKERS", "x", 1);
    ck_assert_int_eq(settings_check(c, "f.conf", err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "AIFB_SERVER_WORKERS (environment): server.workers:"), "error is '%s'", err);
    unsetenv("AIFB_SERVER_WORKERS");
    setenv("AIFB_LOG_LEVEL", "debug\nerror", 1);
    ck_assert_int_eq(settings_check(c, "f.conf", err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "AIFB_LOG_LEVEL (environment): log.level: has a control character"), "error is '%s'",
                  err);
    config_free(c);
}
END_TEST

START_TEST(test_env_does_not_hide_bad_file_value)
{
    /* the file is checked too, or it would fail the day the override goes */
    struct config *c = parse(DSN "workers = 99\n");
    setenv("AIFB_WORKERS", "8", 1);
    ck_assert_int_eq(settings_check(c, "f.conf", err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "f.conf:2: workers: '99'"), "error is '%s'", err);
    config_free(c);
}
END_TEST

/* Each row's default passes the row's own check (a row of one program, as server's). */
START_TEST(test_defaults_pass_their_check)
{
    for (int s = 0; s < SETTING_COUNT; s++) {
        struct config *empty = parse(DSN);
        const char *key = settings_key((enum setting)s);
        bool app = strncmp(key, "<app>.", 6) == 0;
        const char *def =
            app ? settings_app_str(empty, (enum setting)s, "server") : settings_str(empty, (enum setting)s);
        config_free(empty);
        if (!def || s == SETTING_DB_DSN)
            continue;
        char text[512];
        snprintf(text, sizeof(text), DSN "%s%s = %s\n", app ? "server." : "", app ? key + 6 : key, def);
        accepted(text);
    }
}
END_TEST

START_TEST(test_log_levels_are_logs)
{
    static const char *const words[] = {"debug", "info", "warn", "error"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), DSN "log.level = %s\n", words[i]);
        accepted(text);
        ck_assert_int_ge(log_level_parse(words[i]), 0);
    }
}
END_TEST

START_TEST(test_keys_unique)
{
    for (int a = 0; a < SETTING_COUNT; a++)
        for (int b = a + 1; b < SETTING_COUNT; b++)
            ck_assert_msg(strcmp(settings_key((enum setting)a), settings_key((enum setting)b)) != 0, "%s twice",
                          settings_key((enum setting)a));
}
END_TEST

/* ---------------------------------------------------------------- README.md's table */

#define BEGIN_MARK "<!-- settings:"
#define END_MARK "<!-- /settings -->"

/* Looks for the project's README.md in start and the folders above it (start is cut). */
static FILE *open_above(char *start)
{
    char path[PATH_MAX + 64];
    for (char *slash = strrchr(start, '/'); slash; slash = strrchr(start, '/')) {
        snprintf(path, sizeof(path), "%s/fcgi-apps/common/settings.def", start);
        if (access(path, R_OK) == 0) {
            snprintf(path, sizeof(path), "%s/README.md", start);
            return fopen(path, "r");
        }
        *slash = '\0';
    }
    return NULL;
}

/* README.md's text, found above the test binary or the working directory. Static. */
static char *read_readme(void)
{
    static char text[1 << 20];
    char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
    ck_assert_int_gt(n, 0);
    dir[n] = '\0';
    FILE *f = open_above(dir);
    if (!f && getcwd(dir, sizeof(dir) - 2)) {
        size_t len = strlen(dir);
        snprintf(dir + len, sizeof(dir) - len, "/."); /* the working directory itself first */
        f = open_above(dir);
    }
    ck_assert_msg(f != NULL, "the project's README.md not found above the test binary or the working directory");
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[len] = '\0';
    return text;
}

/* The table between the markers, in README.md's text (cut there). */
static char *readme_table(void)
{
    char *text = read_readme();
    char *begin = strstr(text, BEGIN_MARK);
    ck_assert_msg(begin != NULL, "README.md has no '%s' marker", BEGIN_MARK);
    char *table = strstr(begin, "-->\n");
    ck_assert_ptr_nonnull(table);
    table += 4;
    char *end = strstr(table, END_MARK);
    ck_assert_msg(end != NULL, "README.md has no '%s' marker", END_MARK);
    *end = '\0';
    return table;
}

static char *doc_text(void)
{
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(settings_doc(f), 0);
    fclose(f);
    return doc;
}

START_TEST(test_readme_documents_each_key)
{
    const char *table = readme_table();
    char row[160];
    for (int s = 0; s < SETTING_COUNT; s++) {
        snprintf(row, sizeof(row), "\n| `%s` |", settings_key((enum setting)s));
        /* table - 1 is the newline that ends the marker's line */
        ck_assert_msg(strstr(table - 1, row) != NULL,
                      "%s is in settings.def but not in README.md's table (aifb-server --settings-doc)",
                      settings_key((enum setting)s));
    }
}
END_TEST

START_TEST(test_readme_keys_are_in_the_list)
{
    const char *table = readme_table();
    for (const char *line = table; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        if (strncmp(line, "| `", 3) != 0)
            continue;
        size_t n = strcspn(line + 3, "`");
        bool found = false;
        for (int s = 0; s < SETTING_COUNT && !found; s++)
            found =
                strlen(settings_key((enum setting)s)) == n && strncmp(settings_key((enum setting)s), line + 3, n) == 0;
        ck_assert_msg(found, "README.md documents %.*s, which settings.def does not have", (int)n, line + 3);
    }
}
END_TEST

START_TEST(test_readme_table_is_the_doc)
{
    char *doc = doc_text();
    const char *table = readme_table();
    ck_assert_msg(strchr(doc, '\0') - doc > 100, "settings_doc wrote %zu bytes", strlen(doc));
    /* the first line that differs, as the doc has it */
    size_t same = 0, from = 0;
    int line = 1;
    for (; doc[same] && doc[same] == table[same]; same++)
        if (doc[same] == '\n') {
            line++;
            from = same + 1;
        }
    ck_assert_msg(doc[same] == table[same],
                  "README.md's table between '%s' and '%s' is not the output of `aifb-server --settings-doc`; "
                  "its line %d should read: %.*s",
                  BEGIN_MARK, END_MARK, line, (int)strcspn(doc + from, "\n"), doc + from);
    free(doc);
}
END_TEST

START_TEST(test_doc_rows_are_one_line)
{
    char *doc = doc_text();
    int lines = 0;
    for (const char *p = doc; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, SETTING_COUNT + 2); /* the header, the rule, one row a key */
    for (const char *line = doc; *line; line = strchr(line, '\n') + 1) {
        int bars = 0;
        for (const char *p = line; *p != '\n'; p++)
            bars += *p == '|';
        ck_assert_msg(bars == 6, "a row with %d cells' bars (a '|' in a text?): %.*s", bars, (int)strcspn(line, "\n"),
                      line);
    }
    free(doc);
}
END_TEST

static Suite *settings_suite(void)
{
    Suite *s = suite_create("settings");
    TCase *tc = tcase_create("check");
    tcase_add_checked_fixture(tc, clear_env, clear_env);
    tcase_add_test(tc, test_unknown_key_refused);
    tcase_add_test(tc, test_known_keys_accepted);
    tcase_add_test(tc, test_bad_type_refused);
    tcase_add_test(tc, test_out_of_range_refused);
    tcase_add_test(tc, test_required_key);
    tcase_add_test(tc, test_defaults_when_absent);
    tcase_add_test(tc, test_file_values);
    tcase_add_test(tc, test_env_override);
    tcase_add_test(tc, test_env_override_checked);
    tcase_add_test(tc, test_env_does_not_hide_bad_file_value);
    tcase_add_test(tc, test_defaults_pass_their_check);
    tcase_add_test(tc, test_log_levels_are_logs);
    tcase_add_test(tc, test_keys_unique);
    suite_add_tcase(s, tc);
    TCase *doc = tcase_create("readme");
    tcase_add_test(doc, test_readme_documents_each_key);
    tcase_add_test(doc, test_readme_keys_are_in_the_list);
    tcase_add_test(doc, test_readme_table_is_the_doc);
    tcase_add_test(doc, test_doc_rows_are_one_line);
    suite_add_tcase(s, doc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(settings_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
