/* h_services: the services aifb deploys as SLURM jobs, kept in PostgreSQL. */
#ifndef AIFB_SERVER_H_SERVICES_H
#define AIFB_SERVER_H_SERVICES_H

#include "err.h"

struct req;

/* Newest first, filtered by state and recipe, paged by before_id. */
enum err h_services_list(struct req *r);
enum err h_services_get(struct req *r);
/* 201 with the new service (state pending); its job is submitted before the row is kept. */
enum err h_services_create(struct req *r);
/* Cancels the job and answers the row, now cancelled. */
enum err h_services_delete(struct req *r);
/* Asks SLURM now, stores the answer, and answers the row with the job's live status. */
enum err h_services_status(struct req *r);

#endif
