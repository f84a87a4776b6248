/* h_targets: scrape targets registered by hand or by the apps, and their Prometheus http_sd view. */
#ifndef AIFB_MONITORING_H_TARGETS_H
#define AIFB_MONITORING_H_TARGETS_H

#include "err.h"

struct req;

enum err h_targets_create(struct req *r);
enum err h_targets_list(struct req *r);
enum err h_targets_get(struct req *r);
enum err h_targets_delete(struct req *r);
/* Every target as Prometheus http_sd JSON: [{"targets": [...], "labels": {...}}, ...]. */
enum err h_targets_http_sd(struct req *r);

#endif
