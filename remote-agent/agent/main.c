/* aifb-agent: runs on the cluster's login node, one call per SSH exec, no listening port.
 *   aifb-agent [--state DIR] [--recipes DIR] VERB [ARGS]
 * Writes exactly one JSON object on stdout: the verb's reply (exit 0), or the error shape (exit 1;
 * 2 for a usage error). Log lines, if any, go to stderr. Verbs and shapes: remote-agent/README.md. */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "arena.h"
#include "jobs.h"
#include "log.h"
#include "logs.h"
#include "out.h"
#include "output.h"
#include "recipe.h"
#include "rmlog.h"
#include "state.h"
#include "submit.h"

static enum err verb_version(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    (void)argv;
    if (argc) {
        ag->detail = "version takes no arguments";
        return ERR_USAGE;
    }
    *reply = out_keep(ag->arena, json_pack("{s:s, s:i}", "version", AGENT_VERSION, "protocol", AGENT_PROTOCOL));
    return ERR_OK;
}

static enum err verb_recipes(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    (void)argv;
    struct recipe **all;
    size_t n;
    if (argc) {
        ag->detail = "recipes takes no arguments";
        return ERR_USAGE;
    }
    enum err e = recipe_load_all(ag->arena, ag->recipes_dir, &all, &n, &ag->detail);
    if (e)
        return e;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, recipe_describe(all[i]));
    *reply = out_keep(ag->arena, json_pack("{s:o}", "recipes", list));
    return ERR_OK;
}

static enum err verb_recipe(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    struct recipe *r;
    if (argc != 1) {
        ag->detail = "recipe takes one recipe name";
        return ERR_USAGE;
    }
    enum err e = recipe_load(ag->arena, ag->recipes_dir, argv[0], &r, &ag->detail);
    if (e)
        return e;
    *reply = out_keep(ag->arena, recipe_describe(r));
    return ERR_OK;
}

static const struct verb {
    const char *name;
    agent_verb_fn fn;
    bool needs_state;
} verbs[] = {
    {"submit", submit_verb, true},     {"status", jobs_status, true},    {"cancel", jobs_cancel, true},
    {"endpoint", jobs_endpoint, true}, {"list", jobs_list, true},        {"recipes", verb_recipes, false},
    {"recipe", verb_recipe, false},    {"version", verb_version, false}, {"logs", logs_verb, true},
    {"output", output_verb, true},     {"rmlog", rmlog_verb, true},
};

/* The folder of this binary (for {{aifb_bin}} and the default recipes folder). */
static const char *bin_dir(struct arena *a)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return "/";
    *slash = '\0';
    return arena_strdup(a, path);
}

static const char *home_dir(void)
{
    const char *h = getenv("HOME");
    if (h && *h == '/')
        return h;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir && *pw->pw_dir == '/' ? pw->pw_dir : NULL;
}

/* An absolute form of dir without trailing '/'; NULL for one sbatch or the scripts cannot take
 * (control characters, and '%' or '\' which sbatch reads in --output). */
static const char *folder(struct arena *a, const char *dir)
{
    char cwd[PATH_MAX];
    for (const char *p = dir; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '%' || *p == '\\')
            return NULL;
    char *abs = *dir == '/'                ? arena_strdup(a, dir)
                : getcwd(cwd, sizeof(cwd)) ? arena_printf(a, "%s/%s", cwd, dir)
                                           : NULL;
    size_t n = abs ? strlen(abs) : 0;
    while (n > 1 && abs[n - 1] == '/')
        abs[--n] = '\0';
    return n ? abs : NULL;
}

/* Options before the verb. Returns the index of the verb, or -1 with ag->detail set. */
static int parse_options(struct agent *ag, int argc, const char *const *argv, const char **state, const char **recipes)
{
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char **target = strcmp(argv[i], "--state") == 0     ? state
                              : strcmp(argv[i], "--recipes") == 0 ? recipes
                                                                  : NULL;
        if (!target || i + 1 >= argc) {
            ag->detail = arena_printf(ag->arena, "unknown option or missing value: %.40s", argv[i]);
            return -1;
        }
        *target = argv[++i];
    }
    if (i >= argc) {
        ag->detail = "no verb: submit, status, cancel, endpoint, logs, output, rmlog, list, recipes, recipe or version";
        return -1;
    }
    return i;
}

/* Fills ag's folders from the options and defaults. Returns ERR_OK or ERR_USAGE. */
static enum err setup(struct agent *ag, const char *state, const char *recipes)
{
    const char *home = home_dir();
    ag->bin_dir = bin_dir(ag->arena);
    if (!state && home)
        state = arena_printf(ag->arena, "%s/.aifb/state", home);
    if (!recipes && ag->bin_dir)
        recipes = arena_printf(ag->arena, "%s/../share/aifb/recipes", ag->bin_dir);
    ag->state_dir = state ? folder(ag->arena, state) : NULL;
    ag->recipes_dir = recipes ? folder(ag->arena, recipes) : NULL;
    if (!ag->state_dir || !ag->recipes_dir || !ag->bin_dir) {
        ag->detail = "--state and --recipes need folders without control characters, '%' or '\\' (and HOME set)";
        return ERR_USAGE;
    }
    ag->slurm = (struct slurm){.arena = ag->arena, .timeout_ms = SLURM_TIMEOUT_MS};
    ag->slurm.redact[0] = ag->state_dir;
    ag->slurm.redact[1] = home && strlen(home) > 1 ? home : NULL;
    return ERR_OK;
}

static enum err run(struct agent *ag, int argc, const char *const *argv, json_t **reply)
{
    const char *state = NULL, *recipes = NULL;
    int v = parse_options(ag, argc, argv, &state, &recipes);
    if (v < 0)
        return ERR_USAGE;
    enum err e = setup(ag, state, recipes);
    if (e)
        return e;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(verbs[i].name, argv[v]) != 0)
            continue;
        e = verbs[i].needs_state ? state_init(ag->arena, ag->state_dir, &ag->detail) : ERR_OK;
        if (e)
            return e;
        return verbs[i].fn(ag, argc - v - 1, argv + v + 1, reply);
    }
    ag->detail = arena_printf(ag->arena, "unknown verb: %.40s", argv[v]);
    return ERR_USAGE;
}

int main(int argc, char **argv)
{
    log_init("aifb-agent", LOG_WARN);
    umask(077);
    struct agent ag = {.arena = arena_new(64 * 1024)};
    json_t *reply = NULL;
    enum err e = run(&ag, argc, (const char *const *)argv, &reply); /* the verbs only read it */
    int rc = e == ERR_OK ? 0 : e == ERR_USAGE ? 2 : 1;
    /* a verb that wrote its own answer (output) leaves reply NULL */
    if (e == ERR_OK && reply && out_print(reply) < 0) {
        log_error("cannot write the reply: %s", strerror(errno));
        rc = 1;
    } else if (e != ERR_OK) {
        out_error(e, ag.detail);
    }
    arena_free(ag.arena);
    return rc;
}
