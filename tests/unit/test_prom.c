/* Unit tests of common/prom: the steps of a window, Prometheus's value texts as PostgreSQL's, and
 * prom_query_range against recorded answers of a real Prometheus (tests/unit/fixtures/prometheus/)
 * served from a local socket: a matrix, bad_data as invalid input, an HTTP 503 with no API document,
 * a body that is not JSON, a closed port and a server that never answers (the timeout). */
#include <arpa/inet.h>
#include <limits.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "prom.h"

#define FIXTURES "tests/unit/fixtures/prometheus"

static struct arena *arena;
static const char *detail;

static void setup(void)
{
    arena = arena_new(1 << 16);
    detail = NULL;
}

static void teardown(void)
{
    arena_free(arena);
}

/* The fixture, from the working folder (make test runs in the tree) or above the test binary. */
static FILE *open_fixture(const char *name)
{
    char path[PATH_MAX + 128], exe[PATH_MAX];
    snprintf(path, sizeof(path), FIXTURES "/%s", name);
    FILE *f = fopen(path, "r");
    ssize_t n = f ? -1 : readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        for (char *slash = strrchr(exe, '/'); !f && slash; slash = strrchr(exe, '/')) {
            *slash = 0;
            snprintf(path, sizeof(path), "%s/" FIXTURES "/%s", exe, name);
            f = fopen(path, "r");
        }
    }
    return f;
}

static char *slurp(const char *name)
{
    FILE *f = open_fixture(name);
    ck_assert_msg(f != NULL, "fixture %s not found", name);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = 0;
    return text;
}

/* A one-connection HTTP server on a free port of 127.0.0.1 that reads the request head and answers
 * status and body (or nothing, when body is NULL: it holds the connection open). */
static pid_t serve(int status, const char *body, int *port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s, 1), 0);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid > 0) {
        close(s);
        return pid;
    }
    int c = accept(s, NULL, NULL);
    char req[8192];
    ssize_t n = read(c, req, sizeof(req));
    (void)n;
    if (!body) {
        pause();
        _exit(0);
    }
    char head[256];
    int h = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, strlen(body));
    if (write(c, head, (size_t)h) < 0 || write(c, body, strlen(body)) < 0)
        _exit(1);
    close(c);
    _exit(0);
}

static enum err ask(int port, long timeout_ms, json_t **result)
{
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d/", port);
    struct prom_window w = {1795783545, 1795783551, 2};
    return prom_query_range(base, "up{job=\"prometheus\"}", &w, timeout_ms, arena, result, &detail);
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

START_TEST(steps)
{
    ck_assert_uint_eq(prom_steps(&(struct prom_window){0, 6, 2}), 4);
    ck_assert_uint_eq(prom_steps(&(struct prom_window){0, 7, 2}), 4);
    ck_assert_uint_eq(prom_steps(&(struct prom_window){10, 10, 1}), 1);
    ck_assert_uint_eq(prom_steps(&(struct prom_window){0, 0.3, 0.1}), 4); /* 0.3/0.1 is 2.9999... */
    ck_assert_uint_eq(prom_steps(&(struct prom_window){0, 86400, 1}), 86401);
    ck_assert_uint_eq(prom_steps(&(struct prom_window){5, 4, 1}), 0);
    ck_assert_uint_eq(prom_steps(&(struct prom_window){0, 4, 0}), 0);
}
END_TEST

START_TEST(value_texts)
{
    ck_assert_str_eq(prom_value_sql("+Inf"), "Infinity");
    ck_assert_str_eq(prom_value_sql("-Inf"), "-Infinity");
    ck_assert_str_eq(prom_value_sql("NaN"), "NaN");
    ck_assert_str_eq(prom_value_sql("1.5e-07"), "1.5e-07");
}
END_TEST

START_TEST(matrix)
{
    int port;
    pid_t pid = serve(200, slurp("range-ok.json"), &port);
    json_t *res;
    ck_assert_int_eq(ask(port, 5000, &res), ERR_OK);
    ck_assert_uint_eq(json_array_size(res), 1);
    json_t *values = json_object_get(json_array_get(res, 0), "values");
    ck_assert_uint_eq(json_array_size(values), 4);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(res, 0), "metric"), "job")),
                     "prometheus");
    ck_assert_str_eq(json_string_value(json_array_get(json_array_get(values, 3), 1)), "1");
    json_decref(res);
    reap(pid);
}
END_TEST

START_TEST(bad_data)
{
    int port;
    pid_t pid = serve(400, slurp("range-bad-data.json"), &port);
    json_t *res;
    ck_assert_int_eq(ask(port, 5000, &res), ERR_INVALID_INPUT);
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(detail, "bad_data: 1:9: parse error"));
    reap(pid);
}
END_TEST

START_TEST(not_prometheus)
{
    int port;
    json_t *res;
    pid_t pid = serve(503, "Service Unavailable", &port);
    ck_assert_int_eq(ask(port, 5000, &res), ERR_PROMETHEUS_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(detail, "HTTP 503"));
    reap(pid);
    pid = serve(200, "{\"status\":\"success\",\"data\":{}}", &port);
    ck_assert_int_eq(ask(port, 5000, &res), ERR_PROMETHEUS_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(detail, "data.result"));
    reap(pid);
    pid = serve(200, "{\"status\":\"succ", &port); /* cut */
    ck_assert_int_eq(ask(port, 5000, &res), ERR_PROMETHEUS_UNAVAILABLE);
    reap(pid);
}
END_TEST

START_TEST(down_and_silent)
{
    int port;
    json_t *res;
    pid_t pid = serve(200, "", &port);
    reap(pid); /* nobody listens there now */
    ck_assert_int_eq(ask(port, 2000, &res), ERR_PROMETHEUS_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(detail, "127.0.0.1"));
    pid = serve(0, NULL, &port);
    ck_assert_int_eq(ask(port, 300, &res), ERR_PROMETHEUS_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(detail, "imeout"));
    reap(pid);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prom");
    TCase *tc = tcase_create("prom");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, steps);
    tcase_add_test(tc, value_texts);
    tcase_add_test(tc, matrix);
    tcase_add_test(tc, bad_data);
    tcase_add_test(tc, not_prometheus);
    tcase_add_test(tc, down_and_silent);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
