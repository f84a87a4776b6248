/* h_recipes: the recipes installed with the agent on the login node, with their parameters. */
#ifndef AIFB_SERVER_H_RECIPES_H
#define AIFB_SERVER_H_RECIPES_H

#include "err.h"

struct req;

enum err h_recipes_list(struct req *r);
enum err h_recipes_get(struct req *r);

#endif
