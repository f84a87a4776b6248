/* h_groups: service groups: N replicas of one recipe deployed as N services under one id. */
#ifndef AIFB_SERVER_H_GROUPS_H
#define AIFB_SERVER_H_GROUPS_H

#include "err.h"

struct req;

/* 201 with the group and its services; stops at the first replica that cannot be submitted, and
 * then cancels those already submitted (all or nothing). */
enum err h_groups_create(struct req *r);
enum err h_groups_list(struct req *r);
enum err h_groups_get(struct req *r);
/* Cancels every replica and marks the group deleted. */
enum err h_groups_delete(struct req *r);

#endif
