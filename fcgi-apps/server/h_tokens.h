/* h_tokens: API tokens: create (shown once), list, revoke; and the `token create` command that
 * makes the first admin token where no token exists yet. */
#ifndef AIFB_SERVER_H_TOKENS_H
#define AIFB_SERVER_H_TOKENS_H

#include "err.h"

struct app;
struct req;

enum err h_tokens_create(struct req *r);
enum err h_tokens_list(struct req *r);
enum err h_tokens_revoke(struct req *r);

/* `token create ROLE NAME`: prints a new token on stdout. Returns the exit status. */
int tokens_cli(struct app *app, int argc, char **argv);

#endif
