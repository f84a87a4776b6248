/* Unit tests of aifb-loadgen's workload: defaults, a full workload read back, every refusal naming
 * its field as "field=workload.<path>: <why>" (ranges, unknown members, rules between members,
 * stages, prompts per source, targets, percentiles, extra_body, preconnect), and each rank's share. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "workload.h"

static struct arena *arena;
static const char *detail;

#define BASE                                                                                                           \
    "{\"targets\":[\"http://127.0.0.1:8000\"],\"model\":\"m\","                                                        \
    "\"prompts\":{\"source\":\"inline\",\"items\":[\"hello world\"]},\"requests\":100}"

static void setup(void)
{
    arena = arena_new(1 << 16);
    detail = NULL;
}

static void teardown(void)
{
    arena_free(arena);
}

static void decref(void *j)
{
    json_decref(j);
}

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    ck_assert_msg(j != NULL, "test JSON: %s", jerr.text);
    arena_defer(arena, decref, j);
    return j;
}

/* BASE with patch merged in (objects recursively; null reads as absent). */
static enum err parse_patch(const char *patch, bool require_targets, struct workload *w)
{
    json_t *doc = load(BASE);
    ck_assert_int_eq(json_object_update_recursive(doc, load(patch)), 0);
    detail = NULL;
    return workload_parse(arena, doc, require_targets, w, &detail);
}

static void refused(const char *patch, const char *want)
{
    struct workload w;
    ck_assert_int_eq(parse_patch(patch, true, &w), ERR_INVALID_INPUT);
    ck_assert_msg(detail && strcmp(detail, want) == 0, "patch %s: got \"%s\", want \"%s\"", patch,
                  detail ? detail : "(null)", want);
}

/* As refused, for details whose end (a range, a pattern) is not the point. */
static void refused_prefix(const char *patch, const char *want)
{
    struct workload w;
    ck_assert_int_eq(parse_patch(patch, true, &w), ERR_INVALID_INPUT);
    ck_assert_msg(detail && strncmp(detail, want, strlen(want)) == 0, "patch %s: got \"%s\", want \"%s...\"", patch,
                  detail ? detail : "(null)", want);
}

static void accepted(const char *patch, struct workload *w)
{
    enum err e = parse_patch(patch, true, w);
    ck_assert_msg(e == ERR_OK, "patch %s: %s", patch, detail ? detail : "");
}

START_TEST(test_defaults)
{
    struct workload w;
    accepted("{}", &w);
    ck_assert_uint_eq(w.ntargets, 1);
    ck_assert_str_eq(w.targets[0], "http://127.0.0.1:8000");
    ck_assert_int_eq(w.api, WL_COMPLETIONS);
    ck_assert_str_eq(w.model, "m");
    ck_assert(w.stream && !w.has_temperature && !w.ignore_eos);
    ck_assert_int_eq(w.max_tokens, 128);
    ck_assert_ptr_null(w.extra_body);
    ck_assert_int_eq(w.mode, WL_CLOSED);
    ck_assert_int_eq(w.concurrency, 1);
    ck_assert_int_eq(w.arrival, WL_POISSON);
    ck_assert_double_eq(w.burstiness, 1);
    ck_assert_int_eq(w.max_concurrency, 0);
    ck_assert_uint_eq(w.nstages, 0);
    ck_assert_int_eq(w.requests, 100);
    ck_assert_double_eq(w.duration_s, 0);
    ck_assert_double_eq(workload_duration(&w), 0);
    ck_assert_int_eq(w.prompts.source, WL_INLINE);
    ck_assert_uint_eq(w.prompts.nitems, 1);
    ck_assert_str_eq(w.prompts.items[0], "hello world");
    ck_assert_uint_eq(w.npercentiles, 4);
    ck_assert_double_eq(w.percentiles[3], 99);
    ck_assert_double_eq(w.timeout_s, 600);
    ck_assert_double_eq(w.push_interval_s, 1);
    ck_assert_ptr_null(w.pushgateway);
    ck_assert(w.slo.ttft_ms == 0 && w.slo.tpot_ms == 0 && w.slo.e2el_ms == 0);
    /* null reads as absent, as for every JSON body of aifb */
    accepted("{\"load\":null,\"slo\":null,\"percentiles\":null,\"stream\":null}", &w);
    ck_assert(w.stream);
}
END_TEST

START_TEST(test_full)
{
    struct workload w;
    accepted("{\"targets\":[\"http://10.0.0.5:8000/\",\"https://h.example/v1//\"],\"api\":\"chat\",\"stream\":false,"
             "\"max_tokens\":64,\"temperature\":0.7,\"ignore_eos\":true,\"extra_body\":{\"top_p\":0.9},"
             "\"load\":{\"mode\":\"open\",\"rate\":5.5,\"arrival\":\"gamma\",\"burstiness\":0.5,"
             "\"max_concurrency\":100},"
             "\"prompts\":{\"source\":\"jsonl\",\"items\":null,\"path\":\"sub/a.jsonl\",\"field\":\"text\"},"
             "\"slo\":{\"ttft_ms\":500,\"tpot_ms\":50,\"e2el_ms\":10000},\"percentiles\":[50,99.9],"
             "\"requests\":null,\"duration_s\":60,\"warmup_s\":5,\"cooldown_s\":5,\"seed\":9007199254740992,"
             "\"timeout_s\":30,\"run_id\":42,\"pushgateway\":\"http://pg:9091/\",\"push_interval_s\":0.5}",
             &w);
    ck_assert_uint_eq(w.ntargets, 2);
    ck_assert_str_eq(w.targets[0], "http://10.0.0.5:8000");
    ck_assert_str_eq(w.targets[1], "https://h.example/v1");
    ck_assert_int_eq(w.api, WL_CHAT);
    ck_assert(!w.stream && w.has_temperature && w.ignore_eos);
    ck_assert_double_eq(w.temperature, 0.7);
    ck_assert_int_eq(w.max_tokens, 64);
    ck_assert_double_eq(json_real_value(json_object_get(w.extra_body, "top_p")), 0.9);
    ck_assert_int_eq(w.mode, WL_OPEN);
    ck_assert_double_eq(w.rate, 5.5);
    ck_assert_int_eq(w.concurrency, 0);
    ck_assert_int_eq(w.arrival, WL_GAMMA);
    ck_assert_double_eq(w.burstiness, 0.5);
    ck_assert_int_eq(w.max_concurrency, 100);
    ck_assert_int_eq(w.prompts.source, WL_JSONL);
    ck_assert_str_eq(w.prompts.path, "sub/a.jsonl");
    ck_assert_str_eq(w.prompts.field, "text");
    ck_assert_double_eq(w.slo.ttft_ms, 500);
    ck_assert_double_eq(w.slo.tpot_ms, 50);
    ck_assert_double_eq(w.slo.e2el_ms, 10000);
    ck_assert_uint_eq(w.npercentiles, 2);
    ck_assert_double_eq(w.percentiles[1], 99.9);
    ck_assert_int_eq(w.requests, 0);
    ck_assert_double_eq(workload_duration(&w), 60);
    ck_assert_double_eq(w.warmup_s, 5);
    ck_assert(w.seed == (1ULL << 53));
    ck_assert_double_eq(w.timeout_s, 30);
    ck_assert_int_eq(w.run_id, 42);
    ck_assert_str_eq(w.pushgateway, "http://pg:9091");
    ck_assert_double_eq(w.push_interval_s, 0.5);
    /* jsonl's member defaults to "prompt" */
    accepted("{\"prompts\":{\"source\":\"jsonl\",\"items\":null,\"path\":\"a.jsonl\"}}", &w);
    ck_assert_str_eq(w.prompts.field, "prompt");
}
END_TEST

START_TEST(test_shape)
{
    struct workload w;
    const char *d;
    ck_assert_int_eq(workload_parse(arena, load("[1]"), false, &w, &d), ERR_INVALID_INPUT);
    ck_assert_str_eq(d, "field=workload: must be an object");
    /* no model: the run asks the target for its first (models.c) */
    struct workload nm;
    json_t *doc = load(BASE);
    json_object_del(doc, "model");
    ck_assert_int_eq(workload_parse(arena, doc, true, &nm, &d), ERR_OK);
    ck_assert_ptr_null(nm.model);
    refused_prefix("{\"model\":5}", "field=workload.model: must be a string");
    refused_prefix("{\"model\":\"\"}", "field=workload.model: length must be in [1, 256]");
    refused_prefix("{\"model\":\"a\\nb\"}", "field=workload.model: must match");
    refused("{\"foo\":1}", "field=workload.foo: unknown field");
    refused("{\"load\":{\"bar\":1}}", "field=workload.load.bar: unknown field");
    refused("{\"api\":\"embeddings\"}", "field=workload.api: must be one of: completions, chat");
    refused("{\"temperature\":3}", "field=workload.temperature: must be a number in [0, 2]");
    refused("{\"stream\":1}", "field=workload.stream: must be true or false");
    refused("{\"max_tokens\":0}", "field=workload.max_tokens: must be an integer in [1, 1000000]");
    refused("{\"requests\":0}", "field=workload.requests: must be an integer in [1, 100000000]");
    refused("{\"requests\":1.5}", "field=workload.requests: must be an integer");
    refused("{\"seed\":9007199254740993}", "field=workload.seed: must be an integer in [0, 9007199254740992]");
    refused("{\"seed\":-1}", "field=workload.seed: must be an integer in [0, 9007199254740992]");
    refused("{\"duration_s\":0}", "field=workload.duration_s: must be > 0");
    refused("{\"duration_s\":-3}", "field=workload.duration_s: must be > 0");
    refused("{\"timeout_s\":0}", "field=workload.timeout_s: must be > 0");
    refused("{\"push_interval_s\":0.05}", "field=workload.push_interval_s: must be a number in [0.1, 60]");
    refused_prefix("{\"pushgateway\":\"gopher://pg\"}", "field=workload.pushgateway: must match");
    refused("{\"pushgateway\":\"http://pg:99999\"}", "field=workload.pushgateway: port must be in [1, 65535]");
    refused("{\"slo\":{\"ttft_ms\":0}}", "field=workload.slo.ttft_ms: must be > 0");
    refused("{\"slo\":{\"e2el_ms\":\"1\"}}", "field=workload.slo.e2el_ms: must be a number");
    refused("{\"slo\":[]}", "field=workload.slo: must be an object");
}
END_TEST

START_TEST(test_load_ranges)
{
    refused("{\"load\":{\"mode\":\"open\",\"rate\":0}}", "field=workload.load.rate: must be > 0");
    refused("{\"load\":{\"mode\":\"open\",\"rate\":-2}}", "field=workload.load.rate: must be > 0");
    refused("{\"load\":{\"mode\":\"open\",\"rate\":2e6}}", "field=workload.load.rate: must be a number in [0, 1e+06]");
    refused("{\"load\":{\"concurrency\":0}}", "field=workload.load.concurrency: must be an integer in [1, 20000]");
    refused("{\"load\":{\"concurrency\":20001}}", "field=workload.load.concurrency: must be an integer in [1, 20000]");
    refused("{\"load\":{\"mode\":\"open\",\"rate\":1,\"max_concurrency\":0}}",
            "field=workload.load.max_concurrency: must be an integer in [1, 20000]");
    refused("{\"load\":{\"mode\":\"open\",\"rate\":1,\"arrival\":\"gamma\",\"burstiness\":0}}",
            "field=workload.load.burstiness: must be > 0");
    refused("{\"load\":{\"mode\":\"half\"}}", "field=workload.load.mode: must be one of: closed, open");
}
END_TEST

START_TEST(test_load_rules)
{
    struct workload w;
    refused("{\"load\":{\"mode\":\"open\"}}", "field=workload.load.rate: is required in open loop (or stages)");
    refused("{\"load\":{\"rate\":3}}", "field=workload.load.rate: only in open loop (mode \"open\")");
    refused("{\"load\":{\"arrival\":\"constant\"}}", "field=workload.load.arrival: only in open loop (mode \"open\")");
    refused("{\"load\":{\"max_concurrency\":4}}",
            "field=workload.load.max_concurrency: only in open loop (mode \"open\")");
    refused("{\"load\":{\"mode\":\"open\",\"rate\":1,\"concurrency\":4}}",
            "field=workload.load.concurrency: only in closed loop (open loop caps in-flight requests with "
            "max_concurrency)");
    refused("{\"load\":{\"mode\":\"open\",\"rate\":1,\"burstiness\":2}}",
            "field=workload.load.burstiness: only with arrival \"gamma\"");
    accepted("{\"load\":{\"mode\":\"open\",\"rate\":1,\"arrival\":\"constant\"}}", &w);
    ck_assert_int_eq(w.arrival, WL_CONSTANT);
    accepted("{\"load\":{\"concurrency\":20000}}", &w);
    ck_assert_int_eq(w.concurrency, 20000);
}
END_TEST

/* preconnect: off by default (vllm's TTFT counts the connect); in open loop it needs the cap that
 * says how many connections to open. */
START_TEST(test_preconnect)
{
    struct workload w;
    accepted("{}", &w);
    ck_assert(!w.preconnect);
    accepted("{\"preconnect\":true,\"load\":{\"concurrency\":16}}", &w);
    ck_assert(w.preconnect);
    accepted("{\"preconnect\":true,\"load\":{\"mode\":\"open\",\"rate\":5,\"max_concurrency\":8}}", &w);
    ck_assert(w.preconnect && w.max_concurrency == 8);
    refused("{\"preconnect\":true,\"load\":{\"mode\":\"open\",\"rate\":5}}",
            "field=workload.preconnect: needs load.max_concurrency in open loop (the number of connections to open)");
    refused("{\"preconnect\":1}", "field=workload.preconnect: must be true or false");
}
END_TEST

START_TEST(test_bounds)
{
    struct workload w;
    refused("{\"requests\":null}", "field=workload.requests: a run needs requests, duration_s or load.stages");
    refused("{\"duration_s\":10,\"warmup_s\":6,\"cooldown_s\":4}",
            "field=workload.warmup_s: warmup_s + cooldown_s must be below the duration (10 s)");
    refused("{\"warmup_s\":-1}", "field=workload.warmup_s: must be a number in [0, 604800]");
    refused("{\"duration_s\":604801}", "field=workload.duration_s: must be a number in [0, 604800]");
    accepted("{\"requests\":null,\"duration_s\":10,\"warmup_s\":6,\"cooldown_s\":3.5}", &w);
    ck_assert_double_eq(workload_duration(&w), 10);
    ck_assert_int_eq(w.requests, 0);
    /* by count, warm-up and cool-down are not bounded by a duration */
    accepted("{\"warmup_s\":100}", &w);
}
END_TEST

START_TEST(test_stages)
{
    struct workload w;
    accepted("{\"requests\":null,\"load\":{\"stages\":[{\"duration_s\":10,\"concurrency\":4},"
             "{\"duration_s\":5,\"concurrency\":0},{\"duration_s\":2.5,\"concurrency\":8}]}}",
             &w);
    ck_assert_uint_eq(w.nstages, 3);
    ck_assert_int_eq(w.stages[0].concurrency, 4);
    ck_assert_double_eq(w.stages[0].rate, 0);
    ck_assert_int_eq(w.concurrency, 8); /* the largest stage's: what a pool must hold */
    ck_assert_double_eq(workload_duration(&w), 17.5);
    ck_assert_double_eq(w.duration_s, 17.5);
    accepted("{\"requests\":null,\"load\":{\"mode\":\"open\",\"arrival\":\"constant\","
             "\"stages\":[{\"duration_s\":1,\"rate\":0},{\"duration_s\":1,\"rate\":50}]}}",
             &w);
    ck_assert_double_eq(w.stages[1].rate, 50);
    ck_assert_double_eq(w.rate, 0);
    refused("{\"load\":{\"mode\":\"open\",\"stages\":[{\"duration_s\":1,\"rate\":1},{\"duration_s\":1}]}}",
            "field=workload.load.stages[1].rate: is required in open loop");
    refused("{\"load\":{\"stages\":[{\"duration_s\":1,\"concurrency\":1,\"rate\":2}]}}",
            "field=workload.load.stages[0].rate: only in open loop");
    refused("{\"load\":{\"mode\":\"open\",\"stages\":[{\"duration_s\":1,\"rate\":1,\"concurrency\":2}]}}",
            "field=workload.load.stages[0].concurrency: only in closed loop");
    refused("{\"load\":{\"stages\":[{\"duration_s\":0,\"concurrency\":1}]}}",
            "field=workload.load.stages[0].duration_s: must be > 0");
    refused("{\"load\":{\"stages\":[{\"concurrency\":1}]}}", "field=workload.load.stages[0].duration_s: is required");
    refused("{\"load\":{\"stages\":[{\"duration_s\":1,\"concurrency\":20001}]}}",
            "field=workload.load.stages[0].concurrency: must be an integer in [0, 20000]");
    refused("{\"load\":{\"stages\":[3]}}", "field=workload.load.stages[0]: must be an object");
    refused("{\"load\":{\"stages\":[]}}", "field=workload.load.stages: must have [1, 64] elements");
    refused("{\"load\":{\"stages\":[{\"duration_s\":1,\"concurrency\":0}]}}",
            "field=workload.load.stages: no stage sends anything (every rate or concurrency is 0)");
    refused("{\"load\":{\"concurrency\":2,\"stages\":[{\"duration_s\":1,\"concurrency\":1}]}}",
            "field=workload.load.concurrency: not with stages (each stage gives its concurrency)");
    refused("{\"load\":{\"mode\":\"open\",\"rate\":2,\"stages\":[{\"duration_s\":1,\"rate\":1}]}}",
            "field=workload.load.rate: not with stages (each stage gives its rate)");
    refused("{\"duration_s\":5,\"load\":{\"stages\":[{\"duration_s\":1,\"concurrency\":1}]}}",
            "field=workload.duration_s: not with load.stages (their sum is the duration)");
    refused("{\"warmup_s\":1,\"load\":{\"stages\":[{\"duration_s\":1,\"concurrency\":1}]}}",
            "field=workload.warmup_s: warmup_s + cooldown_s must be below the duration (1 s)");
}
END_TEST

START_TEST(test_prompts)
{
    struct workload w;
    ck_assert_int_eq(parse_patch("{\"prompts\":null}", true, &w), ERR_OK); /* none: random, 256 tokens */
    ck_assert_int_eq(w.prompts.source, WL_RANDOM);
    ck_assert_int_eq(w.prompts.input_len, WORKLOAD_DEFAULT_INPUT_LEN);
    refused("{\"prompts\":{\"source\":null}}", "field=workload.prompts.source: is required");
    refused("{\"prompts\":{\"items\":null}}", "field=workload.prompts.items: is required with source \"inline\"");
    refused("{\"prompts\":{\"items\":[]}}", "field=workload.prompts.items: must have [1, 1000000] elements");
    refused("{\"prompts\":{\"items\":[\"a\",\"\"]}}",
            "field=workload.prompts.items[1]: length must be in [1, 1048576]");
    refused("{\"prompts\":{\"items\":[\"a\",7]}}", "field=workload.prompts.items[1]: must be a string");
    refused("{\"prompts\":{\"items\":[\"a\\u0000b\"]}}", "field=workload.prompts.items[0]: must not contain NUL bytes");
    refused("{\"prompts\":{\"source\":\"jsonl\"}}", "field=workload.prompts.items: does not apply to source \"jsonl\"");
    refused("{\"prompts\":{\"source\":\"jsonl\",\"items\":null}}",
            "field=workload.prompts.path: is required with source \"jsonl\"");
    refused("{\"prompts\":{\"source\":\"sharegpt\",\"items\":null,\"path\":\"a/../../b.json\"}}",
            "field=workload.prompts.path: must not contain \"..\"");
    refused("{\"prompts\":{\"source\":\"sharegpt\",\"items\":null,\"path\":\"/etc/passwd\"}}",
            "field=workload.prompts.path: must be relative to the datasets folder");
    refused_prefix("{\"prompts\":{\"source\":\"sharegpt\",\"items\":null,\"path\":\"a b.json\"}}",
                   "field=workload.prompts.path: must match");
    refused("{\"prompts\":{\"source\":\"sharegpt\",\"items\":null,\"path\":\"a.json\",\"field\":\"text\"}}",
            "field=workload.prompts.field: does not apply to source \"sharegpt\"");
    refused("{\"prompts\":{\"source\":\"random\",\"items\":null}}",
            "field=workload.prompts.input_len: is required with source \"random\"");
    refused("{\"prompts\":{\"source\":\"random\",\"items\":null,\"input_len\":10,\"range_ratio\":1}}",
            "field=workload.prompts.range_ratio: must be < 1");
    refused("{\"prompts\":{\"source\":\"random\",\"items\":null,\"input_len\":0}}",
            "field=workload.prompts.input_len: must be an integer in [1, 1000000]");
    refused("{\"prompts\":{\"input_len\":10}}",
            "field=workload.prompts.input_len: does not apply to source \"inline\"");
    accepted("{\"prompts\":{\"source\":\"random\",\"items\":null,\"input_len\":100,\"output_len\":20,"
             "\"range_ratio\":0.25}}",
             &w);
    ck_assert_int_eq(w.prompts.source, WL_RANDOM);
    ck_assert_int_eq(w.prompts.input_len, 100);
    ck_assert_int_eq(w.prompts.output_len, 20);
    ck_assert_double_eq(w.prompts.range_ratio, 0.25);
    ck_assert_ptr_null(w.prompts.field);
}
END_TEST

START_TEST(test_targets)
{
    struct workload w;
    refused("{\"targets\":null}", "field=workload.targets: is required: 1 to 64 base URLs");
    refused("{\"targets\":[]}", "field=workload.targets: is required: 1 to 64 base URLs");
    ck_assert_int_eq(parse_patch("{\"targets\":null}", false, &w), ERR_OK); /* aifb-client checks before it fills */
    ck_assert_uint_eq(w.ntargets, 0);
    refused_prefix("{\"targets\":[\"http://a\",\"ftp://b\"]}", "field=workload.targets[1]: must match");
    refused_prefix("{\"targets\":[\"http://a/x?y=1\"]}", "field=workload.targets[0]: must match");
    refused_prefix("{\"targets\":[\"http://user@a\"]}", "field=workload.targets[0]: must match");
    refused("{\"targets\":[\"http://a:0\"]}", "field=workload.targets[0]: port must be in [1, 65535]");
    refused("{\"targets\":[\"http://a:65536/v1\"]}", "field=workload.targets[0]: port must be in [1, 65535]");
    refused("{\"targets\":[5]}", "field=workload.targets[0]: must be a string");
    refused("{\"targets\":\"http://a\"}", "field=workload.targets: must be an array");
    json_t *doc = load(BASE), *many = json_array();
    for (int i = 0; i < 65; i++)
        json_array_append_new(many, json_string("http://h:1"));
    json_object_set_new(doc, "targets", many);
    ck_assert_int_eq(workload_parse(arena, doc, true, &w, &detail), ERR_INVALID_INPUT);
    ck_assert_str_eq(detail, "field=workload.targets: must have [0, 64] elements");
    accepted("{\"targets\":[\"http://a:65535\",\"https://b-c.d/\",\"http://x/\"]}", &w);
    ck_assert_str_eq(w.targets[1], "https://b-c.d");
    ck_assert_str_eq(w.targets[2], "http://x");
}
END_TEST

START_TEST(test_percentiles_extra_body)
{
    refused("{\"percentiles\":[0]}", "field=workload.percentiles[0]: must be a number in (0, 100]");
    refused("{\"percentiles\":[50,100.5]}", "field=workload.percentiles[1]: must be a number in (0, 100]");
    refused("{\"percentiles\":[50,\"90\"]}", "field=workload.percentiles[1]: must be a number in (0, 100]");
    refused("{\"percentiles\":[90,50,90]}", "field=workload.percentiles[2]: is given twice");
    refused("{\"percentiles\":[]}", "field=workload.percentiles: must have [1, 16] elements");
    static const char *const owned[] = {"model", "prompt", "messages", "stream", "max_tokens"};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
        char patch[96], want[128];
        snprintf(patch, sizeof(patch), "{\"extra_body\":{\"top_k\":5,\"%s\":1}}", owned[i]);
        snprintf(want, sizeof(want), "field=workload.extra_body.%s: is set by aifb-loadgen and cannot be replaced",
                 owned[i]);
        refused(patch, want);
    }
    refused("{\"extra_body\":[1]}", "field=workload.extra_body: must be an object");
    static char big[70000];
    memset(big, 'a', sizeof(big));
    json_t *doc = load(BASE);
    json_object_set_new(doc, "extra_body", json_pack("{s:s%}", "x", big, sizeof(big)));
    struct workload w;
    ck_assert_int_eq(workload_parse(arena, doc, true, &w, &detail), ERR_INVALID_INPUT);
    ck_assert_str_eq(detail, "field=workload.extra_body: must be at most 65536 bytes as JSON");
}
END_TEST

/* Each rank's share: remainders to the lowest ranks, a rank with nothing gets requests = -1. */
START_TEST(test_share)
{
    struct workload w;
    int64_t want_req[] = {4, 3, 3}, want_conc[] = {2, 2, 1};
    for (int rank = 0; rank < 3; rank++) {
        accepted("{\"requests\":10,\"seed\":7,\"load\":{\"concurrency\":5}}", &w);
        workload_share(&w, rank, 3);
        ck_assert_int_eq(w.requests, want_req[rank]);
        ck_assert_int_eq(w.concurrency, want_conc[rank]);
        ck_assert(w.seed == 7u + (unsigned)rank);
    }
    accepted("{\"requests\":10,\"load\":{\"concurrency\":2}}", &w);
    workload_share(&w, 2, 3);
    ck_assert_int_eq(w.requests, -1);
    accepted("{\"requests\":2,\"load\":{\"mode\":\"open\",\"rate\":9,\"max_concurrency\":30}}", &w);
    workload_share(&w, 1, 3);
    ck_assert_double_eq_tol(w.rate, 3, 1e-12);
    ck_assert_int_eq(w.max_concurrency, 10);
    ck_assert_int_eq(w.requests, 1);
    accepted("{\"requests\":2,\"load\":{\"mode\":\"open\",\"rate\":9,\"max_concurrency\":30}}", &w);
    workload_share(&w, 2, 3);
    ck_assert_int_eq(w.requests, -1); /* 2 requests over 3 ranks: none for the last */
    accepted("{\"requests\":null,\"duration_s\":9,\"load\":{\"mode\":\"open\",\"rate\":9,\"max_concurrency\":2}}", &w);
    workload_share(&w, 2, 3);
    ck_assert_int_eq(w.requests, -1); /* a cap of 0 would read as none */
    accepted("{\"requests\":null,\"load\":{\"stages\":[{\"duration_s\":1,\"concurrency\":3},"
             "{\"duration_s\":1,\"concurrency\":1}]}}",
             &w);
    workload_share(&w, 1, 2);
    ck_assert_int_eq(w.stages[0].concurrency, 1);
    ck_assert_int_eq(w.stages[1].concurrency, 0);
    ck_assert_int_eq(w.concurrency, 1);
    ck_assert_int_eq(w.requests, 0);
    accepted("{\"requests\":null,\"load\":{\"stages\":[{\"duration_s\":1,\"concurrency\":1}]}}", &w);
    workload_share(&w, 1, 2);
    ck_assert_int_eq(w.requests, -1);
    accepted("{\"requests\":null,\"load\":{\"mode\":\"open\",\"stages\":[{\"duration_s\":1,\"rate\":4}]}}", &w);
    workload_share(&w, 3, 4);
    ck_assert_double_eq(w.stages[0].rate, 1);
    ck_assert_int_eq(w.requests, 0);
    accepted("{\"requests\":5}", &w);
    workload_share(&w, 0, 1);
    ck_assert_int_eq(w.requests, 5);
    ck_assert_int_eq(w.concurrency, 1);
}
END_TEST

static Suite *workload_suite(void)
{
    Suite *s = suite_create("loadgen_workload");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_full);
    tcase_add_test(tc, test_shape);
    tcase_add_test(tc, test_load_ranges);
    tcase_add_test(tc, test_load_rules);
    tcase_add_test(tc, test_preconnect);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_stages);
    tcase_add_test(tc, test_prompts);
    tcase_add_test(tc, test_targets);
    tcase_add_test(tc, test_percentiles_extra_body);
    tcase_add_test(tc, test_share);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(workload_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
