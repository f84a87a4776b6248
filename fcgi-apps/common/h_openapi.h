/* h_openapi: GET /v1/openapi.json, the OpenAPI 3.1 document of the app answering (openapi.h). Its
 * row is one of SYSTEM_ROUTES (h_system.h), so every app serves its own. */
#ifndef AIFB_H_OPENAPI_H
#define AIFB_H_OPENAPI_H

#include "err.h"

struct req;

/* 200 with the app's document, the one `aifb-<app> --openapi` prints; public. */
enum err h_openapi_get(struct req *r);

#endif
