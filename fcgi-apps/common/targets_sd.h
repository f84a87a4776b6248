/* targets_sd: Prometheus http_sd of aifb's scrape targets (sql/0004's scrape_targets_sd), served by
 * aifb-server (the running services) and aifb-monitoring (those and every registered target). */
#ifndef AIFB_TARGETS_SD_H
#define AIFB_TARGETS_SD_H

#include <stdbool.h>

#include "err.h"

struct req;

/* Answers 200 with the http_sd JSON; services are reached at http.address (nginx, for Prometheus). */
enum err targets_sd_reply(struct req *r, bool only_services);

#endif
