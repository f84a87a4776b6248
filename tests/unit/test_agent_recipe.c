/* Unit tests of remote-agent/agent/recipe: every recipe in remote-agent/recipes loads, its defaults
 * pass its own declaration, and its script rendered with defaults and with hostile values passes
 * `bash -n`; requests' params are checked (unknown, missing, out of range, wrong type, array
 * elements) and defaults filled in; malformed declarations are refused with a detail that says why. */
#include <check.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "../../remote-agent/agent/recipe.h"
#include "../../remote-agent/agent/render.h"

static struct arena *arena;
static const char *detail;
static char recipes_dir[PATH_MAX + 32];

/* remote-agent/recipes in start or a folder above it. */
static bool find_above(char *start)
{
    for (char *slash = strrchr(start, '/'); slash; slash = strrchr(start, '/')) {
        snprintf(recipes_dir, sizeof(recipes_dir), "%s/remote-agent/recipes", start);
        if (access(recipes_dir, R_OK) == 0)
            return true;
        *slash = '\0';
    }
    return false;
}

/* The repository's remote-agent/recipes: above this binary (build/tests/unit/, build/san/...), else
 * above the working folder. */
static void find_recipes(void)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    ck_assert_int_gt(n, 0);
    path[n] = '\0';
    if (find_above(path) || (getcwd(path, sizeof(path)) && find_above(path)))
        return;
    ck_abort_msg("remote-agent/recipes not found above the test binary or the working folder");
}

static void setup(void)
{
    arena = arena_new(1 << 16);
    detail = NULL;
    find_recipes();
}

static void teardown(void)
{
    arena_free(arena);
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &jerr); /* the agent refuses NUL in JSON; checks below must too */
    ck_assert_msg(j != NULL, "test JSON: %s", jerr.text);
    return j;
}

/* Renders r with values, as submit does, and checks the script with bash -n. */
static void bash_n(const struct recipe *r, const json_t *values)
{
    struct render_var *vars = calloc(r->nparams + 1, sizeof(*vars));
    struct buf w, out;
    buf_init(&out, 4u << 20);
    for (size_t i = 0; i < r->nparams; i++) {
        buf_init(&w, 1u << 20);
        ck_assert_int_eq(render_value(&w, json_object_get(values, r->params[i].name)), 0);
        vars[i].name = r->params[i].name;
        vars[i].words = arena_strdup(arena, buf_cstr(&w));
        buf_free(&w);
    }
    struct render_job job = {r->name, "/home/u/.aifb/state", "/home/u/.aifb/state/pending/0a", "0a",
                             "/home/u/.aifb/bin"};
    const char *bad;
    ck_assert_int_eq(render_script(&out, &job, r->script, r->nlines, vars, r->nparams, &bad), ERR_OK);
    char path[] = "/tmp/aifb-test-recipe-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, out.data, out.len), (ssize_t)out.len);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "bash -n '%s'", path);
    int rc = system(cmd);
    unlink(path);
    ck_assert_msg(rc == 0, "bash -n refuses the script of %s", r->name);
    buf_free(&out);
    free(vars);
}

static const char *const shipped[] = {"loadgen", "qdrant", "simllm", "vllm", "vllm-replicas"};

START_TEST(test_shipped_recipes_load)
{
    struct recipe **all;
    size_t n;
    ck_assert_msg(recipe_load_all(arena, recipes_dir, &all, &n, &detail) == ERR_OK, "%s", detail);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        ck_assert_str_eq(all[i]->name, shipped[i]);
        json_t *d = recipe_describe(all[i]);
        ck_assert_ptr_nonnull(d);
        ck_assert_ptr_nonnull(json_object_get(d, "params"));
        ck_assert(json_is_boolean(json_object_get(d, "gpus")));
        json_decref(d);
    }
    ck_assert_uint_eq(all[0]->ngpu_factors, 0); /* loadgen */
    ck_assert_str_eq(all[0]->kind, "loadgen");
    ck_assert_uint_eq(all[1]->ngpu_factors, 0); /* qdrant */
    ck_assert_uint_eq(all[2]->ngpu_factors, 0); /* simllm */
    ck_assert_uint_eq(all[3]->ngpu_factors, 1);
    ck_assert_uint_eq(all[4]->ngpu_factors, 2);
}
END_TEST

/* The fewest params each recipe needs. */
static const char *minimal(const char *name)
{
    if (strcmp(name, "loadgen") == 0) /* a workload with a quote, to show it stays one word */
        return "{\"workload\": \"{\\\"model\\\":\\\"it's\\\",\\\"requests\\\":5}\"}";
    return strncmp(name, "vllm", 4) == 0 ? "{\"model\": \"meta-llama/Llama-3.1-8B-Instruct\"}" : "{}";
}

START_TEST(test_defaults_validate_and_render)
{
    for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
        struct recipe *r;
        json_t *values;
        ck_assert_msg(recipe_load(arena, recipes_dir, shipped[i], &r, &detail) == ERR_OK, "%s", detail);
        json_t *params = parse(minimal(shipped[i]));
        ck_assert_msg(recipe_values(arena, r, params, &values, &detail) == ERR_OK, "%s: %s", shipped[i], detail);
        ck_assert_uint_eq(json_object_size(values), r->nparams);
        bash_n(r, values);
        /* and every default, put back as if given, passes too */
        ck_assert_int_eq(recipe_values(arena, r, values, &values, &detail), ERR_OK);
        json_decref(params);
    }
}
END_TEST

START_TEST(test_hostile_values_render)
{
    struct recipe *r;
    json_t *values;
    ck_assert_int_eq(recipe_load(arena, recipes_dir, "simllm", &r, &detail), ERR_OK);
    const char *hostile[] = {"$(touch /tmp/CANARY_r)", "`id`", "a;b|c&d", "'\"'\"'", "../../x", "{{model}}", "\\"};
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        json_t *params = json_pack("{s:s}", "model", hostile[i]);
        ck_assert_msg(recipe_values(arena, r, params, &values, &detail) == ERR_OK, "%s", detail);
        bash_n(r, values);
        json_decref(params);
    }
    json_t *params = json_pack("{s:s}", "model", "a\nb");
    ck_assert_int_eq(recipe_values(arena, r, params, &values, &detail), ERR_INVALID_INPUT);
    ck_assert(strncmp(detail, "field=params.model: must match", 30) == 0);
    json_decref(params);
}
END_TEST

START_TEST(test_vllm_values)
{
    struct recipe *r;
    json_t *values;
    ck_assert_int_eq(recipe_load(arena, recipes_dir, "vllm", &r, &detail), ERR_OK);
    json_t *p = parse("{\"model\": \"org/m\", \"tensor_parallel_size\": 4}");
    ck_assert_int_eq(recipe_values(arena, r, p, &values, &detail), ERR_OK);
    ck_assert_int_eq(json_integer_value(json_object_get(values, "gpus")), 4); /* default_from */
    ck_assert_int_eq(recipe_gpus(r, values), 4);
    ck_assert(json_is_null(json_object_get(values, "max_model_len")));
    ck_assert_str_eq(json_string_value(json_object_get(values, "dtype")), "auto");
    json_decref(p);
    p = parse("{\"model\": \"org/m\", \"tensor_parallel_size\": 2, \"gpus\": 8, \"extra_args\": [\"--enforce-eager\", "
              "\"--max-num-seqs=64\"]}");
    ck_assert_int_eq(recipe_values(arena, r, p, &values, &detail), ERR_OK);
    ck_assert_int_eq(recipe_gpus(r, values), 8);
    bash_n(r, values);
    json_decref(p);
    ck_assert_int_eq(recipe_load(arena, recipes_dir, "vllm-replicas", &r, &detail), ERR_OK);
    p = parse("{\"model\": \"org/m\", \"replicas\": 3, \"tensor_parallel_size\": 2}");
    ck_assert_int_eq(recipe_values(arena, r, p, &values, &detail), ERR_OK);
    ck_assert_int_eq(recipe_gpus(r, values), 6);
    json_decref(p);
}
END_TEST

/* A request's params for recipe name, refused with exactly this detail. */
static void refused(const char *name, const char *params, const char *want)
{
    struct recipe *r;
    json_t *values;
    ck_assert_int_eq(recipe_load(arena, recipes_dir, name, &r, &detail), ERR_OK);
    json_t *p = parse(params);
    ck_assert_msg(recipe_values(arena, r, p, &values, &detail) == ERR_INVALID_INPUT, "%s taken", params);
    ck_assert_msg(strncmp(detail, want, strlen(want)) == 0, "%s: detail '%s', want '%s...'", params, detail, want);
    json_decref(p);
}

START_TEST(test_bad_params)
{
    refused("simllm", "{\"bogus\": 1}", "field=params.bogus: unknown field");
    refused("simllm", "{\"ttft_ms\": -1}", "field=params.ttft_ms: must be a number in [0, 3.6e+06]");
    refused("simllm", "{\"ttft_ms\": \"5\"}", "field=params.ttft_ms: must be a number");
    refused("simllm", "{\"max_num_seqs\": 0}", "field=params.max_num_seqs: must be an integer in [1, 1048576]");
    refused("simllm", "{\"max_num_seqs\": 1.5}", "field=params.max_num_seqs: must be an integer");
    refused("simllm", "{\"error_rate\": 1.01}", "field=params.error_rate: must be a number in [0, 1]");
    refused("simllm", "{\"port\": 65536}", "field=params.port: must be an integer in [0, 65535]");
    refused("simllm", "{\"bind\": \"$(id)\"}", "field=params.bind: must match");
    refused("simllm", "{\"model\": \"\"}", "field=params.model: length must be in [1, 256]");
    refused("vllm", "{}", "field=params.model: is required");
    refused("vllm", "{\"model\": null}", "field=params.model: is required");
    refused("vllm", "{\"model\": \"../../etc\"}", "field=params.model: must match");
    refused("vllm", "{\"model\": \"o/m\", \"tensor_parallel_size\": 9}",
            "field=params.tensor_parallel_size: must be an integer in [1, 8]");
    refused("vllm", "{\"model\": \"o/m\", \"gpu_memory_utilization\": 1}",
            "field=params.gpu_memory_utilization: must be a number in [0.1, 0.99]");
    refused("vllm", "{\"model\": \"o/m\", \"dtype\": \"int3\"}", "field=params.dtype: must be one of: auto, half");
    refused("vllm", "{\"model\": \"o/m\", \"image\": \"docker://x;id\"}", "field=params.image: must match");
    refused("vllm", "{\"model\": \"o/m\", \"hf_home\": \"/a/../b\"}", "field=params.hf_home: must match");
    refused("vllm", "{\"model\": \"o/m\", \"extra_args\": \"--x\"}", "field=params.extra_args: must be an array");
    refused("vllm", "{\"model\": \"o/m\", \"extra_args\": [\"--ok\", \"; rm -rf ~\"]}",
            "field=params.extra_args[1]: must match");
    refused("vllm", "{\"model\": \"o/m\", \"extra_args\": [1]}", "field=params.extra_args[0]: must be a string");
    refused("vllm", "{\"model\": \"o/m\", \"extra_args\": [\"--a\\u0000b\"]}",
            "field=params.extra_args[0]: must not contain NUL bytes");
    refused("vllm", "{\"model\": \"o/m\", \"modules\": [\"env/../../../x/evil\"]}",
            "field=params.modules[0]: must match");
    refused(
        "vllm",
        "{\"model\": \"o/m\", \"extra_args\": [\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\","
        "\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\","
        "\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\",\"-a\"]}",
        "field=params.extra_args: must have [0, 32] elements");
    refused("vllm-replicas", "{\"model\": \"o/m\", \"replicas\": 17}",
            "field=params.replicas: must be an integer in [1, 16]");
    refused("qdrant", "{\"log_level\": \"loud\"}", "field=params.log_level: must be one of");
    refused("qdrant", "{\"mem\": \"lots\"}", "field=params.mem: must match");
}
END_TEST

START_TEST(test_load_errors)
{
    struct recipe *r;
    ck_assert_int_eq(recipe_load(arena, recipes_dir, "nope", &r, &detail), ERR_RECIPE_NOT_FOUND);
    ck_assert_str_eq(detail, "recipe=nope");
    ck_assert_int_eq(recipe_load(arena, recipes_dir, "../recipes/simllm", &r, &detail), ERR_RECIPE_NOT_FOUND);
    ck_assert_int_eq(recipe_load(arena, recipes_dir, "", &r, &detail), ERR_RECIPE_NOT_FOUND);
    ck_assert_int_eq(recipe_load(arena, recipes_dir, "Simllm", &r, &detail), ERR_RECIPE_NOT_FOUND);
    char dir[] = "/tmp/aifb-test-recipes-XXXXXX", path[128], cmd[160];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/broken.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"name\": \"broken\",\n \"kind\": }", f);
    fclose(f);
    ck_assert_int_eq(recipe_load(arena, dir, "broken", &r, &detail), ERR_RECIPE_INVALID);
    ck_assert(strncmp(detail, "recipe broken: line 2:", 22) == 0);
    struct recipe **all;
    size_t n;
    ck_assert_int_eq(recipe_load_all(arena, dir, &all, &n, &detail), ERR_RECIPE_INVALID);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(recipe_load_all(arena, dir, &all, &n, &detail), ERR_OK); /* no folder: no recipes */
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* A minimal valid recipe with one member replaced (or added) by the JSON in `patch`, refused with a
 * detail containing want. */
static void bad_decl(const char *patch, const char *want)
{
    json_t *doc = parse("{\"name\": \"t\", \"description\": \"d\", \"kind\": \"llm\","
                        " \"params\": {\"n\": {\"type\": \"integer\", \"description\": \"d\", \"default\": 1}},"
                        " \"sbatch\": {\"gpus_param\": null}, \"script\": [\"echo {{n}}\"]}");
    json_t *p = parse(patch);
    json_object_update(doc, p);
    struct recipe *r;
    enum err e = recipe_parse(arena, doc, "t", &r, &detail);
    ck_assert_msg(e == ERR_RECIPE_INVALID, "%s taken", patch);
    ck_assert_msg(strstr(detail, want) != NULL, "%s: detail '%s' lacks '%s'", patch, detail, want);
    json_decref(p);
    json_decref(doc);
}

static json_t *one_param(const char *decl)
{
    char text[1024];
    snprintf(text, sizeof(text), "{\"params\": {\"x\": %s}, \"script\": [\"echo {{x}}\"]}", decl);
    return parse(text);
}

static void bad_param(const char *decl, const char *want)
{
    json_t *patch = one_param(decl);
    char *text = json_dumps(patch, 0);
    bad_decl(text, want);
    free(text);
    json_decref(patch);
}

START_TEST(test_good_minimal)
{
    json_t *doc = parse("{\"name\": \"t\", \"description\": \"d\", \"kind\": \"vector-db\", \"params\": {},"
                        " \"sbatch\": {}, \"script\": [\"true\"]}");
    struct recipe *r;
    ck_assert_msg(recipe_parse(arena, doc, "t", &r, &detail) == ERR_OK, "%s", detail);
    ck_assert_uint_eq(r->nparams, 0);
    json_decref(doc);
}
END_TEST

START_TEST(test_bad_declarations)
{
    bad_decl("{\"name\": \"other\"}", "must be the file's name");
    bad_decl("{\"kind\": \"gpu\"}", "field=kind: must be one of: llm, vector-db");
    bad_decl("{\"extra\": 1}", "field=extra: unknown field");
    bad_decl("{\"script\": []}", "field=script: must have [1, 2000] elements");
    bad_decl("{\"script\": [1]}", "script[0]: must be one line of text");
    bad_decl("{\"script\": [\"a\\nb\"]}", "script[0]: must be one line of text");
    bad_decl("{\"script\": [\"echo {{nope}}\"]}", "script[0]: {{nope}} names no parameter");
    bad_decl("{\"script\": [\"echo {{n\"]}", "script[0]: malformed placeholder");
    bad_decl("{\"script\": [\"echo {{pending_dir}}\"]}", "{{pending_dir}} names no parameter");
    bad_decl("{\"sbatch\": {\"gpu\": \"n\"}}", "sbatch.gpu: unknown key");
    bad_decl("{\"sbatch\": {\"gpus_param\": \"missing\"}}", "sbatch.gpus_param: must be null or name");
    bad_decl("{\"sbatch\": {\"gpus_param\": [\"n\", \"n\", \"n\", \"n\", \"n\"]}}", "sbatch.gpus_param");
    bad_decl("{\"sbatch\": {\"mem_param\": \"n\"}}", "sbatch.mem_param");
    bad_decl("{\"params\": []}", "field=params: must be an object");
    bad_decl("{\"params\": {\"job_dir\": {\"type\": \"string\", \"description\": \"d\"}}}", "not a built-in");
    bad_decl("{\"params\": {\"Bad-Name\": {\"type\": \"string\", \"description\": \"d\"}}}", "params.Bad-Name: names");
    bad_decl("{\"params\": {\"x\": 1}}", "params.x: must be an object");
    bad_param("{\"type\": \"text\", \"description\": \"d\"}", "field=params.x.type: must be one of");
    bad_param("{\"type\": \"string\"}", "field=params.x.description: is required");
    bad_param("{\"type\": \"string\", \"description\": \"d\", \"colour\": 1}", "field=params.x.colour: unknown field");
    bad_param("{\"type\": \"string\", \"description\": \"d\", \"max\": 0}", "min and max of a string");
    bad_param("{\"type\": \"string\", \"description\": \"d\", \"pattern\": \"([a\"}", "pattern is not a valid");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"min\": 5, \"max\": 1}", "min is above max");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"min\": 1.5}", "must be integers");
    bad_param("{\"type\": \"number\", \"description\": \"d\", \"min\": 2, \"max\": 1}", "min is above max");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"pattern\": \"x\"}",
              "\"pattern\" does not apply to type integer");
    bad_param("{\"type\": \"boolean\", \"description\": \"d\", \"max\": 1}", "\"max\" does not apply to type boolean");
    bad_param("{\"type\": \"enum\", \"description\": \"d\"}", "an enum needs");
    bad_param("{\"type\": \"enum\", \"description\": \"d\", \"enum\": [1]}", "an enum needs");
    bad_param("{\"type\": \"enum\", \"description\": \"d\", \"enum\": []}", "field=params.x.enum: must have");
    bad_param("{\"type\": \"array\", \"description\": \"d\", \"items\": {\"pattern\": \"(\"}}", "items.pattern");
    bad_param("{\"type\": \"array\", \"description\": \"d\", \"items\": {\"type\": \"integer\"}}",
              "field=params.x.items.type: must be one of: string");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"default\": \"1\"}",
              "the default of params.x fails its declaration: field=params.x: must be an integer");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"max\": 3, \"default\": 4}",
              "field=params.x: must be an integer in [-9223372036854775808, 3]");
    bad_param("{\"type\": \"string\", \"description\": \"d\", \"pattern\": \"[a-z]+\", \"default\": \"A\"}",
              "the default of params.x fails");
    bad_param("{\"type\": \"enum\", \"description\": \"d\", \"enum\": [\"a\"], \"default\": \"b\"}",
              "field=params.x: must be one of: a");
    bad_param("{\"type\": \"array\", \"description\": \"d\", \"items\": {\"pattern\": \"-.*\"}, \"default\": [\"x\"]}",
              "field=params.x[0]: must match");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"default_from\": \"missing\"}", "default_from must");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"default_from\": \"x\"}", "default_from must");
    bad_param("{\"type\": \"string\", \"description\": \"d\", \"default_from\": \"n\"}", "default_from must");
    bad_param("{\"type\": \"integer\", \"description\": \"d\", \"default\": 1, \"default_from\": \"n\"}",
              "has both default and default_from");
}
END_TEST

START_TEST(test_too_many_params)
{
    json_t *doc = parse("{\"name\": \"t\", \"description\": \"d\", \"kind\": \"llm\", \"params\": {},"
                        " \"sbatch\": {}, \"script\": [\"true\"]}");
    json_t *params = json_object_get(doc, "params");
    for (int i = 0; i <= RECIPE_MAX_PARAMS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p%d", i);
        json_object_set_new(params, name, json_pack("{s:s, s:s}", "type", "boolean", "description", "d"));
    }
    struct recipe *r;
    ck_assert_int_eq(recipe_parse(arena, doc, "t", &r, &detail), ERR_RECIPE_INVALID);
    ck_assert_ptr_nonnull(strstr(detail, "more than 64 params"));
    json_decref(doc);
}
END_TEST

START_TEST(test_patterns_from_reused_memory)
{
    /* input.c caches regexes by the pattern's address: a second recipe whose pattern text lands where
     * the first one's was must still be checked against its own pattern */
    for (int round = 0; round < 2; round++) {
        struct arena *a = arena_new(1 << 12);
        const char *pat = round == 0 ? "[a-z]+" : "[0-9]+";
        json_t *doc = json_pack("{s:s, s:s, s:s, s:{s:{s:s, s:s, s:s}}, s:{}, s:[s]}", "name", "t", "description", "d",
                                "kind", "llm", "params", "x", "type", "string", "description", "d", "pattern", pat,
                                "sbatch", "script", "echo {{x}}");
        struct recipe *r;
        json_t *values;
        ck_assert_int_eq(recipe_parse(a, doc, "t", &r, &detail), ERR_OK);
        json_t *p = json_pack("{s:s}", "x", round == 0 ? "abc" : "123");
        ck_assert_msg(recipe_values(a, r, p, &values, &detail) == ERR_OK, "round %d: %s", round, detail);
        json_decref(p);
        json_decref(doc);
        arena_free(a);
    }
}
END_TEST

static Suite *recipe_suite(void)
{
    Suite *s = suite_create("agent_recipe");
    TCase *tc = tcase_create("recipe");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_shipped_recipes_load);
    tcase_add_test(tc, test_defaults_validate_and_render);
    tcase_add_test(tc, test_hostile_values_render);
    tcase_add_test(tc, test_vllm_values);
    tcase_add_test(tc, test_bad_params);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_good_minimal);
    tcase_add_test(tc, test_bad_declarations);
    tcase_add_test(tc, test_too_many_params);
    tcase_add_test(tc, test_patterns_from_reused_memory);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(recipe_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
