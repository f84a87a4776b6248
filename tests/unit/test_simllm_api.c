/* Unit tests of aifb-simllm's OpenAI/vLLM wire format: request parsing (prompt forms and their token
 * counts, messages, max_tokens and max_completion_tokens, stream options, ignored fields, wrong
 * types, malformed JSON, unknown models, the context length), and the exact JSON of every chunk of
 * both endpoints, the usage chunk, [DONE], whole responses, errors and /v1/models. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/simllm/api.h"

#define MODEL "aifb/sim-model"

static struct api_request req;
static struct api_error err;

static int parse(enum api_kind kind, const char *body)
{
    memset(&err, 0, sizeof(err));
    return api_parse(kind, body, strlen(body), MODEL, 4096, &req, &err);
}

/* Expects body refused with status, its message containing text. */
static void refused(enum api_kind kind, const char *body, int status, const char *text)
{
    ck_assert_int_eq(parse(kind, body), -1);
    ck_assert_int_eq(err.status, status);
    ck_assert_str_eq(err.type, status == 404 ? "NotFoundError" : "BadRequestError");
    ck_assert_msg(strstr(err.message, text), "message '%s' lacks '%s'", err.message, text);
}

START_TEST(test_completion_defaults)
{
    ck_assert_int_eq(parse(API_COMPLETION, "{\"model\":\"" MODEL "\",\"prompt\":\"hello world\"}"), 0);
    ck_assert_int_eq(req.kind, API_COMPLETION);
    ck_assert_int_eq(req.prompt_tokens, 3); /* 11 bytes: ceil(11 / 4) */
    ck_assert_int_eq(req.max_tokens, 16);
    ck_assert(!req.stream);
    ck_assert(!req.include_usage);
}
END_TEST

START_TEST(test_prompt_forms)
{
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":[1,2,3,4,5],\"max_tokens\":7}"), 0);
    ck_assert_int_eq(req.prompt_tokens, 5);
    ck_assert_int_eq(req.max_tokens, 7);
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":[\"abcdefgh\"]}"), 0);
    ck_assert_int_eq(req.prompt_tokens, 2);
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":[[9,9,9]]}"), 0);
    ck_assert_int_eq(req.prompt_tokens, 3);
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"\"}"), 0);
    ck_assert_int_eq(req.prompt_tokens, 0);
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"abcd\"}"), 0);
    ck_assert_int_eq(req.prompt_tokens, 1);
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"abcde\"}"), 0);
    ck_assert_int_eq(req.prompt_tokens, 2);
    refused(API_COMPLETION, "{\"prompt\":[]}", 400, "prompt");
    refused(API_COMPLETION, "{\"prompt\":[\"a\",\"b\"]}", 400, "batch");
    refused(API_COMPLETION, "{\"prompt\":[1,-2]}", 400, "token ids");
    refused(API_COMPLETION, "{\"prompt\":[1,\"x\"]}", 400, "token ids");
    refused(API_COMPLETION, "{\"prompt\":[{}]}", 400, "prompt");
    refused(API_COMPLETION, "{\"prompt\":[[]]}", 400, "prompt");
    refused(API_COMPLETION, "{\"prompt\":5}", 400, "prompt: expected a string or an array");
    refused(API_COMPLETION, "{\"model\":\"" MODEL "\"}", 400, "prompt: field required");
}
END_TEST

START_TEST(test_chat_messages)
{
    const char *b = "{\"messages\":[{\"role\":\"system\",\"content\":\"abcd\"},"
                    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"efgh\"},"
                    "{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]},"
                    "{\"role\":\"assistant\",\"content\":null}],\"max_tokens\":5,\"max_completion_tokens\":9}";
    ck_assert_int_eq(parse(API_CHAT, b), 0);
    ck_assert_int_eq(req.kind, API_CHAT);
    ck_assert_int_eq(req.prompt_tokens, 2);
    ck_assert_int_eq(req.max_tokens, 9); /* max_completion_tokens wins */
    ck_assert_int_eq(parse(API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":5}"), 0);
    ck_assert_int_eq(req.max_tokens, 5);
    ck_assert_int_eq(parse(API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 0);
    ck_assert_int_eq(req.max_tokens, 16);
    refused(API_CHAT, "{\"messages\":[]}", 400, "messages");
    refused(API_CHAT, "{\"messages\":[{\"content\":\"x\"}]}", 400, "role");
    refused(API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400, "content");
    refused(API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]}", 400, "content");
    refused(API_CHAT, "{\"messages\":\"hi\"}", 400, "messages: expected an array");
    refused(API_CHAT, "{\"prompt\":\"hi\"}", 400, "messages: field required");
}
END_TEST

START_TEST(test_stream_options)
{
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":"
                                           "{\"include_usage\":true,\"continuous_usage_stats\":false}}"),
                     0);
    ck_assert(req.stream);
    ck_assert(req.include_usage);
    ck_assert(!req.continuous_usage);
    ck_assert_int_eq(parse(API_CHAT,
                           "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stream\":true,\"stream_options\":"
                           "{\"include_usage\":true,\"continuous_usage_stats\":true}}"),
                     0);
    ck_assert(req.include_usage && req.continuous_usage);
    /* as vLLM: continuous usage only along with include_usage */
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":"
                                           "{\"continuous_usage_stats\":true}}"),
                     0);
    ck_assert(!req.continuous_usage);
    refused(API_COMPLETION,
            "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":{\"continuous_usage_stats\":\"yes\"}}", 400,
            "continuous_usage_stats");
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":null}"), 0);
    ck_assert(!req.include_usage);
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"a\",\"stream\":null}"), 0);
    ck_assert(!req.stream);
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"stream_options\":{\"include_usage\":true}}", 400,
            "Stream options can only be defined when `stream=True`.");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"stream\":true,\"stream_options\":{\"include_usage\":1}}", 400,
            "include_usage");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"stream\":\"yes\"}", 400, "stream: expected a boolean or null");
}
END_TEST

/* vLLM's sampling fields are taken and ignored when their types are right, refused when not. */
START_TEST(test_ignored_fields)
{
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"a\",\"ignore_eos\":true,\"temperature\":0.7,\"top_p\":1,"
                                           "\"seed\":3,\"n\":1,\"stop\":[\"x\"],\"user\":\"u\",\"unknown\":{}}"),
                     0);
    ck_assert_int_eq(parse(API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"stop\":\"x\","
                                     "\"logprobs\":false,\"tools\":null,\"temperature\":null}"),
                     0);
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"temperature\":\"hot\"}", 400, "temperature: expected a number");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"ignore_eos\":1}", 400, "ignore_eos");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"seed\":1.5}", 400, "seed: expected an integer");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"stop\":5}", 400, "stop");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"n\":2}", 400, "n=1");
    refused(API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logprobs\":3}", 400, "logprobs");
}
END_TEST

START_TEST(test_max_tokens)
{
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"max_tokens\":0}", 400, "max_tokens must be at least 1, got 0.");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"max_tokens\":\"5\"}", 400, "max_tokens: expected an integer");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"max_tokens\":5.0}", 400, "max_tokens");
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"a\",\"max_tokens\":null}"), 0);
    ck_assert_int_eq(req.max_tokens, 16);
    ck_assert_int_eq(parse(API_COMPLETION, "{\"prompt\":\"a\",\"max_tokens\":4095}"), 0);
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"max_tokens\":4096}", 400,
            "This model's maximum context length is 4096 tokens. However, you requested 4097 tokens (1 in the "
            "messages, 4096 in the completion).");
    refused(API_COMPLETION, "{\"prompt\":\"a\",\"max_tokens\":9223372036854775807}", 400, "maximum context length");
}
END_TEST

START_TEST(test_malformed)
{
    refused(API_COMPLETION, "{\"prompt\":", 400, "Invalid JSON body");
    refused(API_COMPLETION, "", 400, "Invalid JSON body");
    refused(API_COMPLETION, "[1,2]", 400, "must be a JSON object");
    refused(API_COMPLETION, "{\"prompt\":\"a\"} x", 400, "Invalid JSON body");
    refused(API_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"\\u0000\"}]}", 400, "Invalid JSON body");
}
END_TEST

START_TEST(test_model)
{
    refused(API_COMPLETION, "{\"model\":\"gpt-4\",\"prompt\":\"a\"}", 404, "The model `gpt-4` does not exist.");
    refused(API_COMPLETION, "{\"model\":5,\"prompt\":\"a\"}", 400, "model: expected a string");
    ck_assert_int_eq(parse(API_COMPLETION, "{\"model\":null,\"prompt\":\"a\"}"), 0);
    /* Types are checked before the model, as pydantic validates before vLLM looks the model up. */
    refused(API_COMPLETION, "{\"model\":\"gpt-4\",\"prompt\":5}", 400, "prompt");
}
END_TEST

static struct api_ident ident(enum api_kind kind)
{
    struct api_ident id;
    api_ident_init(&id, kind, 0x0123456789abcdefULL, 0xfedcba9876543210ULL, 1700000000, "\"" MODEL "\"");
    return id;
}

static const struct api_stamp stamp = {1, 2, 3, 4};

#define CMPL_HEAD                                                                                                      \
    "data: {\"id\":\"cmpl-0123456789abcdeffedcba9876543210\",\"object\":\"text_completion\",\"created\":1700000000,"   \
    "\"model\":\"" MODEL "\","
#define CHAT_HEAD                                                                                                      \
    "data: {\"id\":\"chatcmpl-0123456789abcdeffedcba9876543210\",\"object\":\"chat.completion.chunk\","                \
    "\"created\":1700000000,\"model\":\"" MODEL "\","
#define STAMP ",\"aifb_sim\":{\"arrival_ns\":1,\"scheduled_ns\":2,\"first_token_ns\":3,\"last_token_ns\":4}"

START_TEST(test_completion_chunks)
{
    struct buf b;
    buf_init(&b, 4096);
    struct api_ident id = ident(API_COMPLETION);
    ck_assert_int_eq(api_event_token(&b, &id, 0, 1, false, NULL, NULL), 0);
    ck_assert_str_eq(buf_cstr(&b), CMPL_HEAD "\"choices\":[{\"index\":0,\"text\":\" tok0\",\"logprobs\":null,"
                                             "\"finish_reason\":null,\"stop_reason\":null}]}\n\n");
    buf_clear(&b);
    ck_assert_int_eq(api_event_token(&b, &id, 15, 1, true, NULL, &stamp), 0);
    ck_assert_str_eq(buf_cstr(&b), CMPL_HEAD "\"choices\":[{\"index\":0,\"text\":\" tok15\",\"logprobs\":null,"
                                             "\"finish_reason\":\"length\",\"stop_reason\":null}]" STAMP "}\n\n");
    buf_clear(&b);
    ck_assert_int_eq(api_event_usage(&b, &id, 3, 16, &stamp), 0);
    ck_assert_str_eq(buf_cstr(&b), CMPL_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"total_tokens\":19,"
                                             "\"completion_tokens\":16}" STAMP "}\n\n");
    buf_clear(&b);
    ck_assert_int_eq(api_event_done(&b), 0);
    ck_assert_str_eq(buf_cstr(&b), "data: [DONE]\n\n");
    buf_free(&b);
}
END_TEST

START_TEST(test_chat_chunks)
{
    struct buf b;
    buf_init(&b, 4096);
    struct api_ident id = ident(API_CHAT);
    ck_assert_int_eq(api_event_role(&b, &id, NULL), 0);
    ck_assert_str_eq(buf_cstr(&b), CHAT_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                                             "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    buf_clear(&b);
    ck_assert_int_eq(api_event_token(&b, &id, 0, 1, false, NULL, NULL), 0);
    ck_assert_str_eq(buf_cstr(&b), CHAT_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok0\"},"
                                             "\"logprobs\":null,\"finish_reason\":null}]}\n\n");
    buf_clear(&b);
    ck_assert_int_eq(api_event_token(&b, &id, 1, 1, true, NULL, NULL), 0);
    ck_assert_str_eq(buf_cstr(&b), CHAT_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok1\"},"
                                             "\"logprobs\":null,\"finish_reason\":\"length\",\"stop_reason\":null}]}"
                                             "\n\n");
    buf_clear(&b);
    ck_assert_int_eq(api_event_usage(&b, &id, 1, 2, NULL), 0);
    ck_assert_str_eq(buf_cstr(&b), CHAT_HEAD "\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"total_tokens\":3,"
                                             "\"completion_tokens\":2}}\n\n");
    buf_free(&b);
}
END_TEST

/* --tokens-per-chunk and continuous_usage_stats: one chunk carries several tokens' text, and each
 * chunk, the role chunk too, the usage so far (completion tokens after it), as vLLM sends it. */
START_TEST(test_multi_token_chunks)
{
    struct buf b;
    buf_init(&b, 4096);
    struct api_ident id = ident(API_CHAT);
    struct api_usage u = {3, 0};
    ck_assert_int_eq(api_event_role(&b, &id, &u), 0);
    ck_assert_str_eq(buf_cstr(&b),
                     CHAT_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                               "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],"
                               "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3,\"completion_tokens\":0}}\n\n");
    buf_clear(&b);
    u.completion_tokens = 4;
    ck_assert_int_eq(api_event_token(&b, &id, 0, 4, false, &u, NULL), 0);
    ck_assert_str_eq(buf_cstr(&b),
                     CHAT_HEAD "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" tok0 tok1 tok2 "
                               "tok3\"},\"logprobs\":null,\"finish_reason\":null}],"
                               "\"usage\":{\"prompt_tokens\":3,\"total_tokens\":7,\"completion_tokens\":4}}\n\n");
    buf_clear(&b);
    id = ident(API_COMPLETION);
    ck_assert_int_eq(api_event_token(&b, &id, 8, 2, true, NULL, &stamp), 0);
    ck_assert_str_eq(buf_cstr(&b), CMPL_HEAD "\"choices\":[{\"index\":0,\"text\":\" tok8 tok9\",\"logprobs\":null,"
                                             "\"finish_reason\":\"length\",\"stop_reason\":null}]" STAMP "}\n\n");
    buf_free(&b);
}
END_TEST

/* Every event is one line of JSON after "data: ", as SSE clients read it. */
START_TEST(test_chunks_are_json)
{
    struct buf b;
    buf_init(&b, 4096);
    struct api_ident id = ident(API_CHAT);
    api_event_token(&b, &id, 3, 1, true, NULL, &stamp);
    ck_assert_uint_eq(strspn(b.data, "data: "), 6);
    json_error_t e;
    json_t *j = json_loadb(b.data + 6, b.len - 8, 0, &e);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "aifb_sim"), "last_token_ns")), 4);
    ck_assert_ptr_null(memchr(b.data, '\n', b.len - 2));
    json_decref(j);
    buf_free(&b);
}
END_TEST

START_TEST(test_whole_bodies)
{
    struct buf b;
    buf_init(&b, 4096);
    struct api_ident id = ident(API_COMPLETION);
    ck_assert_int_eq(api_body(&b, &id, 3, 2, &stamp), 0);
    ck_assert_str_eq(buf_cstr(&b),
                     "{\"id\":\"cmpl-0123456789abcdeffedcba9876543210\",\"object\":\"text_completion\","
                     "\"created\":1700000000,\"model\":\"" MODEL "\",\"choices\":[{\"index\":0,"
                     "\"text\":\" tok0 tok1\",\"logprobs\":null,\"finish_reason\":\"length\","
                     "\"stop_reason\":null,\"prompt_logprobs\":null}],\"usage\":{\"prompt_tokens\":3,"
                     "\"total_tokens\":5,\"completion_tokens\":2,\"prompt_tokens_details\":null}" STAMP "}");
    buf_clear(&b);
    id = ident(API_CHAT);
    ck_assert_int_eq(api_body(&b, &id, 1, 1, &stamp), 0);
    ck_assert_str_eq(buf_cstr(&b), "{\"id\":\"chatcmpl-0123456789abcdeffedcba9876543210\",\"object\":"
                                   "\"chat.completion\",\"created\":1700000000,\"model\":\"" MODEL "\",\"choices\":"
                                   "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"reasoning_content\":null,"
                                   "\"content\":\" tok0\",\"tool_calls\":[]},\"logprobs\":null,\"finish_reason\":"
                                   "\"length\",\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":1,\"total_tokens\":"
                                   "2,\"completion_tokens\":1,\"prompt_tokens_details\":null},\"prompt_logprobs\":"
                                   "null" STAMP "}");
    buf_free(&b);
}
END_TEST

START_TEST(test_error_body)
{
    struct buf b;
    buf_init(&b, 4096);
    ck_assert_int_eq(api_error_body(&b, 404, api_error_type(404), "The model `x\"y` does not exist."), 0);
    ck_assert_str_eq(buf_cstr(&b), "{\"object\":\"error\",\"message\":\"The model `x\\\"y` does not exist.\","
                                   "\"type\":\"NotFoundError\",\"param\":null,\"code\":404}");
    buf_clear(&b);
    ck_assert_int_eq(api_error_body(&b, 500, api_error_type(500), "bad \xff bytes"), 0);
    ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "\"type\":\"InternalServerError\",\"param\":null,\"code\":500}"));
    ck_assert_str_eq(api_error_type(400), "BadRequestError");
    buf_free(&b);
}
END_TEST

START_TEST(test_models_body)
{
    struct buf b;
    buf_init(&b, 4096);
    ck_assert_int_eq(api_models_body(&b, MODEL, 1700000000, 4096), 0);
    json_error_t e;
    json_t *j = json_loads(buf_cstr(&b), 0, &e);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "object")), "list");
    json_t *m = json_array_get(json_object_get(j, "data"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "id")), MODEL);
    ck_assert_str_eq(json_string_value(json_object_get(m, "object")), "model");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "created")), 1700000000);
    ck_assert_str_eq(json_string_value(json_object_get(m, "owned_by")), "aifb-simllm");
    ck_assert_str_eq(json_string_value(json_object_get(m, "root")), MODEL);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "max_model_len")), 4096);
    ck_assert(json_is_null(json_object_get(m, "parent")));
    ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "{\"object\":\"list\",\"data\":[{\"id\":\"" MODEL "\","));
    json_decref(j);
    buf_free(&b);
}
END_TEST

START_TEST(test_helpers)
{
    char t[32];
    ck_assert_uint_eq(api_token_text(42, t), 6);
    ck_assert_str_eq(t, " tok42");
    char *s = api_json_string("a\"b\n");
    ck_assert_str_eq(s, "\"a\\\"b\\n\"");
    free(s);
    ck_assert_ptr_null(api_json_string("\xff"));
    struct buf b;
    buf_init(&b, 64);
    struct api_ident id = ident(API_COMPLETION);
    ck_assert_int_eq(api_event_token(&b, &id, 0, 1, false, NULL, NULL), -1); /* over the cap */
    buf_free(&b);
}
END_TEST

/* A model name too long for the ident's ready-made chunk start is formatted each time, the same. */
START_TEST(test_long_model_name)
{
    char model[402];
    memset(model, 'm', sizeof(model));
    model[0] = model[400] = '"';
    model[401] = '\0';
    struct api_ident id;
    api_ident_init(&id, API_COMPLETION, 1, 2, 3, model);
    ck_assert_uint_eq(id.head_len, 0);
    struct buf b;
    buf_init(&b, 4096);
    ck_assert_int_eq(api_event_token(&b, &id, 7, 1, false, NULL, NULL), 0);
    char want[1024];
    snprintf(want, sizeof(want),
             "data: {\"id\":\"cmpl-00000000000000010000000000000002\",\"object\":\"text_completion\","
             "\"created\":3,\"model\":%s,\"choices\":[{\"index\":0,\"text\":\" tok7\",\"logprobs\":null,"
             "\"finish_reason\":null,\"stop_reason\":null}]}\n\n",
             model);
    ck_assert_str_eq(buf_cstr(&b), want);
    buf_free(&b);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("simllm_api");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_completion_defaults);
    tcase_add_test(tc, test_prompt_forms);
    tcase_add_test(tc, test_chat_messages);
    tcase_add_test(tc, test_stream_options);
    tcase_add_test(tc, test_ignored_fields);
    tcase_add_test(tc, test_max_tokens);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_model);
    tcase_add_test(tc, test_completion_chunks);
    tcase_add_test(tc, test_chat_chunks);
    tcase_add_test(tc, test_multi_token_chunks);
    tcase_add_test(tc, test_chunks_are_json);
    tcase_add_test(tc, test_whole_bodies);
    tcase_add_test(tc, test_error_body);
    tcase_add_test(tc, test_models_body);
    tcase_add_test(tc, test_helpers);
    tcase_add_test(tc, test_long_model_name);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(api_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
