/* Unit tests of common/in: typed reads of the slots a route's declarations give, by key; SQL text;
 * objects declared with fields; and the loud failure (abort) of reading what a route does not
 * declare, or reading it as another type. Also in_check_table against the apps' keys. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "arena.h"
#include "in.h"
#include "input.h"

static const char *const formats[] = {"json", "csv", NULL};
static const struct field params[] = {F_ID("id"),
                                      F_INT("limit", F_OPT, 1, 1000),
                                      F_ENUM("format", F_OPT, formats),
                                      F_NUM("step_s", F_OPT, 0.001, 100),
                                      F_BOOL("remote", F_OPT),
                                      F_END};
static const struct field slurm_fields[] = {F_INT("nodes", F_OPT, 1, 64), F_INT("ntasks", F_OPT, 1, 64), F_END};
static const struct field body[] = {F_STR("name", F_OPT, 1, 64, NULL),
                                    F_OBJ("slurm", F_OPT, slurm_fields),
                                    F_OBJ("workload", F_OPT, NULL),
                                    F_ARR("services", F_OPT, 0, 8),
                                    F_NUM("duration_s", F_OPT, 0, 1e6),
                                    F_BOOL("dry_run", F_OPT),
                                    F_END};

static struct arena *arena;
static struct inputs in;
static json_t *doc;

/* The slots a request with query "id=42&format=csv&step_s=0.5" (limit and remote absent) and the
 * body doc would have: params first, then the body's members, as the dispatcher lays them out. */
static void setup(void)
{
    arena = arena_new(4096);
    doc = json_pack("{s:s, s:{s:i}, s:{s:s}, s:[i,i], s:f, s:n}", "name", "run-a", "slurm", "nodes", 2, "workload",
                    "api", "chat", "services", 3, 4, "duration_s", 1.5, "dry_run");
    size_t np = input_count(params), nb = input_count(body);
    in = (struct inputs){
        .slot = arena_calloc(arena, np + nb, sizeof(struct slot)), .n = np + nb, .where = "test", .arena = arena};
    const char *raw[] = {"42", NULL, "csv", "0.5", NULL};
    const char *detail = NULL;
    for (size_t i = 0; i < np; i++) {
        in.slot[i].decl = &params[i];
        if (raw[i])
            ck_assert_int_eq(input_scalar(&params[i], raw[i], &in.slot[i], arena, &detail), ERR_OK);
    }
    ck_assert_int_eq(input_object(body, doc, "", arena, &detail), ERR_OK);
    input_slots_fill(in.slot + np, body, doc, "test", arena);
}

static void teardown(void)
{
    json_decref(doc);
    arena_free(arena);
}

START_TEST(test_params_typed)
{
    ck_assert_int_eq(in_int(&in, K_id, 0), 42);
    ck_assert_int_eq(in_int(&in, K_limit, 100), 100);
    ck_assert(!in_has(&in, K_limit));
    ck_assert_str_eq(in_str(&in, K_format), "csv");
    ck_assert_double_eq(in_num(&in, K_step_s, 9), 0.5);
    ck_assert_double_eq(in_num(&in, K_id, 9), 42.0); /* an integer reads as a number too */
    ck_assert(in_bool(&in, K_remote, true));
    ck_assert(!in_bool(&in, K_remote, false));
}
END_TEST

START_TEST(test_sql_text)
{
    ck_assert_str_eq(in_text(&in, K_id), "42");
    ck_assert_ptr_null(in_text(&in, K_limit));
    ck_assert_str_eq(in_int_text(&in, K_limit, 100), "100");
    ck_assert_str_eq(in_text(&in, K_format), "csv");
    ck_assert_str_eq(in_text(&in, K_name), "run-a");
    ck_assert_str_eq(in_text(&in, K_services), "[3,4]");
    ck_assert_str_eq(in_text(&in, K_duration_s), "1.5");
    ck_assert_str_eq(in_text(&in, K_workload), "{\"api\":\"chat\"}");
    ck_assert_ptr_null(in_text(&in, K_dry_run)); /* null reads as absent */
}
END_TEST

START_TEST(test_body_members)
{
    ck_assert_str_eq(in_str(&in, K_name), "run-a");
    ck_assert_ptr_eq(in_json(&in, K_workload), json_object_get(doc, "workload"));
    ck_assert(!in_has(&in, K_dry_run));
    ck_assert(in_bool(&in, K_dry_run, true));
    ck_assert_ptr_null(in_json(&in, K_dry_run));
    const struct inputs *slurm = in_obj(&in, K_slurm);
    ck_assert_int_eq(in_int(slurm, K_nodes, 1), 2);
    ck_assert_int_eq(in_int(slurm, K_ntasks, 7), 7);
}
END_TEST

START_TEST(test_absent_object_reads_as_absent)
{
    json_object_del(doc, "slurm");
    input_slots_fill(in.slot + input_count(params), body, doc, "test", arena);
    const struct inputs *slurm = in_obj(&in, K_slurm);
    ck_assert_ptr_nonnull(slurm);
    ck_assert(!in_has(slurm, K_nodes));
    ck_assert_int_eq(in_int(slurm, K_nodes, 5), 5);
}
END_TEST

/* The programmer's errors: each aborts (check runs each in its own process). */
START_TEST(test_undeclared_aborts)
{
    in_int(&in, K_offset, 0);
}
END_TEST

START_TEST(test_undeclared_in_object_aborts)
{
    in_int(in_obj(&in, K_slurm), K_limit, 0);
}
END_TEST

START_TEST(test_wrong_type_aborts)
{
    in_str(&in, K_id);
}
END_TEST

START_TEST(test_object_without_fields_aborts)
{
    in_obj(&in, K_workload);
}
END_TEST

START_TEST(test_check_table)
{
    char err[256];
    const struct route good[] = {{.method = HTTP_GET, .path = "/v1/x/{id}", .params = params, .body = body}};
    ck_assert_int_eq(in_check_table(&(struct route_table){"/api/t", good, 1}, err, sizeof(err)), 0);
    static const struct field unknown[] = {F_INT("no_such_key", F_OPT, 0, 1), F_END};
    const struct route bad[] = {{.method = HTTP_GET, .path = "/v1/y", .params = unknown}};
    ck_assert_int_eq(in_check_table(&(struct route_table){"/api/t", bad, 1}, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "/v1/y declares input \"no_such_key\", which fcgi-apps/common/in_keys.def lacks");
    static const struct field nested[] = {F_OBJ("slurm", F_OPT, unknown), F_END};
    const struct route deep[] = {{.method = HTTP_POST, .path = "/v1/z", .body = nested}};
    ck_assert_int_eq(in_check_table(&(struct route_table){"/api/t", deep, 1}, err, sizeof(err)), -1);
    static const struct field twice[] = {F_STR("name", F_OPT, 1, 9, NULL), F_END};
    const struct route both[] = {{.method = HTTP_POST, .path = "/v1/w", .params = twice, .body = twice}};
    ck_assert_int_eq(in_check_table(&(struct route_table){"/api/t", both, 1}, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "/v1/w declares \"name\" both as a parameter and as a body member");
}
END_TEST

static Suite *in_suite(void)
{
    Suite *s = suite_create("in");
    TCase *tc = tcase_create("reads");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_params_typed);
    tcase_add_test(tc, test_sql_text);
    tcase_add_test(tc, test_body_members);
    tcase_add_test(tc, test_absent_object_reads_as_absent);
    tcase_add_test(tc, test_check_table);
    tcase_add_test_raise_signal(tc, test_undeclared_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, test_undeclared_in_object_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, test_wrong_type_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, test_object_without_fields_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(in_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
