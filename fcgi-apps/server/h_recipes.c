/* h_recipes: asks the agent, which reads the recipe files. */
#include "h_recipes.h"

#include "in.h"
#include "remote.h"
#include "app.h"
#include "req.h"

enum err h_recipes_list(struct req *r)
{
    json_t *answer;
    enum err e = agent_call(r->app, r->arena, "recipes", NULL, 0, NULL, &answer, &r->detail);
    return e ? e : reply_json(r, 200, answer);
}

enum err h_recipes_get(struct req *r)
{
    const char *arg[] = {in_str(r->in, K_name)};
    json_t *answer;
    enum err e = agent_call(r->app, r->arena, "recipe", arg, 1, NULL, &answer, &r->detail);
    return e ? e : reply_json(r, 200, answer);
}
