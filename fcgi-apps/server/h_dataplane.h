/* h_dataplane: talking to a running service through the login node: its Prometheus metrics, its
 * models, and prompts (OpenAI completions or chat, streamed through when asked), for one service
 * or spread over the healthy replicas of a group. */
#ifndef AIFB_SERVER_H_DATAPLANE_H
#define AIFB_SERVER_H_DATAPLANE_H

#include "err.h"

struct req;

enum err h_dataplane_metrics(struct req *r);
enum err h_dataplane_models(struct req *r);
enum err h_dataplane_prompt(struct req *r);
enum err h_dataplane_group_models(struct req *r);
enum err h_dataplane_group_prompt(struct req *r);

#endif
