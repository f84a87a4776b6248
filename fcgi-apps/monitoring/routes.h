/* routes: aifb-monitoring's definition and route table. */
#ifndef AIFB_MONITORING_ROUTES_H
#define AIFB_MONITORING_ROUTES_H

#include "app.h"

extern const struct app_def monitoring_app;

#endif
