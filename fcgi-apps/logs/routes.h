/* routes: aifb-logs's definition and route table. */
#ifndef AIFB_LOGS_ROUTES_H
#define AIFB_LOGS_ROUTES_H

#include "app.h"

extern const struct app_def logs_app;

#endif
