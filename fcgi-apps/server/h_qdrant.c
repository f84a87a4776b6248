/* h_qdrant: Qdrant's REST API of a vector-db service through SSH direct-tcpip channels. */
#include "h_qdrant.h"

#include <string.h>

#include "in.h"
#include "req.h"
#include "services.h"
#include "tunnel.h"

/* The service of the route: a qdrant one, running, with its endpoint. */
static enum err qdrant_of(struct req *r, struct service *s)
{
    enum err e = services_load(r, in_int(r->in, K_id, 0), s);
    if (e)
        return e;
    if (services_kind_llm(s))
        return req_fail(r, ERR_SERVICE_KIND, "id=%lld recipe=%s is an llm", (long long)s->id, s->recipe);
    if (strcmp(s->state, "running") != 0 || !s->host || s->port <= 0)
        return req_fail(r, ERR_SERVICE_NOT_READY, "id=%lld state=%s", (long long)s->id, s->state);
    return ERR_OK;
}

/* Sends method path to the service with the request's body as received (no re-encoding: vectors
 * keep their digits, and Qdrant's own size limit sees the client's bytes). */
static enum err forward(struct req *r, const char *method, const char *path)
{
    struct service s;
    enum err e = qdrant_of(r, &s);
    if (e)
        return e;
    const char *body = r->body ? r->body_text : NULL;
    return tunnel_pass(r, s.host, s.port, method, path, body, body ? r->body_len : 0);
}

/* The route's collection path; the name passed its declared pattern, so it needs no escaping. */
static const char *collection(struct req *r, const char *suffix)
{
    return arena_printf(r->arena, "/collections/%s%s", in_str(r->in, K_name), suffix);
}

enum err h_qdrant_collections_list(struct req *r)
{
    return forward(r, "GET", "/collections");
}

enum err h_qdrant_collections_get(struct req *r)
{
    return forward(r, "GET", collection(r, ""));
}

enum err h_qdrant_collections_put(struct req *r)
{
    return forward(r, "PUT", collection(r, ""));
}

enum err h_qdrant_collections_delete(struct req *r)
{
    return forward(r, "DELETE", collection(r, ""));
}

enum err h_qdrant_points_upsert(struct req *r)
{
    return forward(r, "PUT", collection(r, "/points?wait=true"));
}

enum err h_qdrant_points_search(struct req *r)
{
    return forward(r, "POST", collection(r, "/points/search"));
}
