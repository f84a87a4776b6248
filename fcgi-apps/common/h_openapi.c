/* h_openapi: the app's OpenAPI document, built from its table for each request (openapi.c). */
#include "h_openapi.h"

#include "app.h"
#include "openapi.h"
#include "req.h"

enum err h_openapi_get(struct req *r)
{
    const json_t *doc = req_own_json(r, openapi_document(r->app->def));
    if (!doc)
        return req_fail(r, ERR_INTERNAL, "the OpenAPI document could not be built");
    return reply_json(r, 200, doc);
}
