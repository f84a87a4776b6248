/* h_services: the services aifb deployed, as kept in PostgreSQL. */
#ifndef AIFB_SERVER_H_SERVICES_H
#define AIFB_SERVER_H_SERVICES_H

#include "err.h"

struct req;

/* Newest first, filtered by state and recipe, paged by before_id. */
enum err h_services_list(struct req *r);
enum err h_services_get(struct req *r);

#endif
