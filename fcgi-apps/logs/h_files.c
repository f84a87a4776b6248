/* h_files: read access to the log_files index. */
#include "h_files.h"

#include "db.h"
#include "req.h"
#include "rows.h"

#define FILE_COLUMNS "id, path, category, size_bytes, modified_at, service_id, run_id, slurm_job_id, indexed_at"

static const struct db_stmt st_list =
    DB_STMT("files_list",
            DB_JSON_ROWS("SELECT " FILE_COLUMNS " FROM log_files WHERE ($1::text IS NULL OR category = $1)"
                         " AND ($2::bigint IS NULL OR service_id = $2) AND ($3::bigint IS NULL OR run_id = $3)"
                         " AND ($4::bigint IS NULL OR slurm_job_id = $4) AND ($5::bigint IS NULL OR id < $5)"
                         " ORDER BY id DESC LIMIT $6"),
            6, true);

static const struct db_stmt st_get =
    DB_STMT("files_get", DB_JSON_ROW("SELECT " FILE_COLUMNS " FROM log_files WHERE id = $1"), 1, true);

enum err h_files_list(struct req *r)
{
    const char *params[] = {req_str(r, "category"), req_str(r, "service_id"), req_str(r, "run_id"),
                            req_str(r, "job"),      req_str(r, "before_id"),  req_int_text(r, "limit", 100)};
    return rows_list(r, &st_list, params, "files");
}

enum err h_files_get(struct req *r)
{
    const char *params[] = {req_str(r, "id")};
    return rows_one(r, &st_get, params, 200, ERR_LOG_FILE_NOT_FOUND);
}
