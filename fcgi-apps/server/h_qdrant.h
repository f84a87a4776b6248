/* h_qdrant: the data plane of a running vector-db (qdrant) service, passed through the SSH tunnel to
 * Qdrant's REST API: its collections (list, show, create, delete), upserting points and searching
 * them. Qdrant's answers (status, type, body) come back as they are; a service of another kind is
 * refused with ERR_SERVICE_KIND, one not running with ERR_SERVICE_NOT_READY. */
#ifndef AIFB_SERVER_H_QDRANT_H
#define AIFB_SERVER_H_QDRANT_H

#include "err.h"

struct req;

/* GET /collections. */
enum err h_qdrant_collections_list(struct req *r);
/* GET /collections/{name}. */
enum err h_qdrant_collections_get(struct req *r);
/* PUT /collections/{name} with the request's body (Qdrant's create-collection object). */
enum err h_qdrant_collections_put(struct req *r);
/* DELETE /collections/{name}. */
enum err h_qdrant_collections_delete(struct req *r);
/* PUT /collections/{name}/points?wait=true with the request's body: answers once the points are stored. */
enum err h_qdrant_points_upsert(struct req *r);
/* POST /collections/{name}/points/search with the request's body. */
enum err h_qdrant_points_search(struct req *r);

#endif
