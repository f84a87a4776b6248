/* routes: aifb-client's definition and route table. */
#ifndef AIFB_CLIENT_ROUTES_H
#define AIFB_CLIENT_ROUTES_H

#include "app.h"

extern const struct app_def client_app;

#endif
