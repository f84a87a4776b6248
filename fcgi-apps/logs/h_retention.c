/* h_retention: one cleanup of the mirror now, under the logs lock unless it is a dry run. */
#include "h_retention.h"

#include "in.h"
#include "req.h"
#include "retention.h"
#include "sync.h"

enum err h_retention_run(struct req *r)
{
    const char *days = in_text(r->in, K_max_age_days);
    const char *bytes = in_text(r->in, K_max_total_bytes);
    bool dry_run = in_bool(r->in, K_dry_run, false);
    if (!days && !bytes)
        return req_fail(r, ERR_INVALID_INPUT, "field=max_age_days: give max_age_days, max_total_bytes or both");
    if (!dry_run && !sync_lock(r->app, r->arena))
        return req_fail(r, ERR_SYNC_RUNNING, "a sync or cleanup is running in another worker");
    struct retention_cut cut = {.list = req_own_json(r, json_array())};
    enum err e = retention_run(r->app, r->arena, days, bytes, dry_run, &cut, &r->detail);
    if (!dry_run)
        sync_unlock(r->app, r->arena);
    if (e)
        return e;
    json_t *j = req_own_json(r, json_pack("{s:b, s:I, s:I, s:I, s:I, s:O, s:b}", "dry_run", dry_run, "files",
                                          (json_int_t)cut.files, "bytes", (json_int_t)cut.bytes, "files_deleted",
                                          (json_int_t)(dry_run ? 0 : cut.files), "bytes_freed",
                                          (json_int_t)(dry_run ? 0 : cut.bytes), "paths", cut.list, "paths_truncated",
                                          cut.files > (int64_t)json_array_size(cut.list)));
    return reply_json(r, 200, j);
}
