/* Unit tests of fcgi-apps/logs/categorize: each rule of the table on the layout the agent writes,
 * the job, service and run a name carries, the flat layout of older jobs, and the paths the sync
 * takes from a listing (and those it skips: links are not even listed as files, but names out of the
 * agent's alphabet, traversal and other folders are refused here). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "../../fcgi-apps/logs/categorize.h"

static void expect(const char *path, const char *category, int64_t job, int64_t service, int64_t run)
{
    struct log_meta m;
    categorize(path, &m);
    ck_assert_msg(strcmp(m.category, category) == 0, "%s: category %s, want %s", path, m.category, category);
    ck_assert_msg(m.job == job, "%s: job %lld, want %lld", path, (long long)m.job, (long long)job);
    ck_assert_msg(m.service == service, "%s: service %lld", path, (long long)m.service);
    ck_assert_msg(m.run == run, "%s: run %lld", path, (long long)m.run);
}

START_TEST(rules)
{
    expect("logs/vllm/aifb-svc-12-1576.out", "vllm", 1576, 12, 0);
    expect("logs/vllm-replicas/aifb-svc-3-77.err", "vllm", 77, 3, 0);
    expect("logs/simllm/aifb-svc-479-1675.out", "vllm", 1675, 479, 0);
    expect("logs/qdrant/aifb-svc-5-80.out", "vector-db", 80, 5, 0);
    expect("logs/loadgen/aifb-run-146-1576.out", "client", 1576, 0, 146);
    expect("logs/agent/agent.log", "agent", 0, 0, 0);
    expect("jobs/1576/gpu-exporter.log", "monitoring", 1576, 0, 0);
    expect("jobs/1576/other.log", "uncategorized", 1576, 0, 0);
    expect("logs/sglang/aifb-svc-9-90.out", "server", 90, 9, 0);
    expect("logs/custom/aifb-run-4-91.out", "client", 91, 0, 4);
    expect("logs/aifb-run-1-82.out", "client", 82, 0, 1); /* the flat layout */
    expect("logs/aifb-svc-2-83.err", "server", 83, 2, 0);
    expect("logs/aifb-t55-17811-ok-1500.out", "uncategorized", 1500, 0, 0);
}
END_TEST

START_TEST(names)
{
    expect("logs/vllm/aifb-svc-12-x.out", "vllm", 0, 12, 0);        /* no job id */
    expect("logs/vllm/aifb-svc-x-15.out", "vllm", 15, 0, 0);        /* no service id */
    expect("logs/vllm/aifb-svc-12-15.txt", "vllm", 0, 12, 0);       /* not .out or .err */
    expect("logs/vllm/15.out", "vllm", 0, 0, 0);                    /* no name before the id */
    expect("logs/vllm/a-1234567890123456789.out", "vllm", 0, 0, 0); /* too many digits */
    expect("jobs/x/gpu-exporter.log", "monitoring", 0, 0, 0);
}
END_TEST

START_TEST(paths)
{
    static const char *const ok[] = {"logs/a.out", "logs/vllm/aifb-svc-1-2.out", "jobs/12/gpu-exporter.log",
                                     "logs/agent/agent.log", "logs/x/.hidden"};
    static const char *const refused[] = {"",
                                          "logs",
                                          "logs/",
                                          "/logs/a.out",
                                          "logs//a.out",
                                          "logs/../etc/passwd",
                                          "logs/./a.out",
                                          "logs/..",
                                          "logs/a/b/c.out",
                                          "jobs/12",
                                          "jobs/x1/a.log",
                                          "jobs/12/sub/a.log",
                                          "other/a.out",
                                          "logs/a b.out",
                                          "logs/a\nb.out",
                                          "logs/a\\b",
                                          "logs/\xc3\xa9.out",
                                          "token",
                                          "jobs/12/token/x",
                                          "jobs/12/token",
                                          "jobs/12/script.sh",
                                          "jobs/12/.log"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        ck_assert_msg(categorize_path_ok(ok[i]), "%s refused", ok[i]);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        ck_assert_msg(!categorize_path_ok(refused[i]), "%s taken", refused[i]);
    char long_path[300];
    memset(long_path, 'a', sizeof(long_path) - 1);
    memcpy(long_path, "logs/", 5);
    long_path[sizeof(long_path) - 1] = '\0';
    ck_assert(!categorize_path_ok(long_path));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("logs_categorize");
    TCase *tc = tcase_create("categorize");
    tcase_add_test(tc, rules);
    tcase_add_test(tc, names);
    tcase_add_test(tc, paths);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
