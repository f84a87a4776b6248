/* routes: aifb-server's definition and route table. */
#ifndef AIFB_SERVER_ROUTES_H
#define AIFB_SERVER_ROUTES_H

#include "app.h"

extern const struct app_def server_app;

#endif
