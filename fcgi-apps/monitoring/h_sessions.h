/* h_sessions: monitoring sessions, a labelled time window over services and runs whose metrics are
 * to be kept: create (checked: the window, the services and runs it watches, the step), list, get
 * (with the seconds left), stop (the window ends now), delete; and the periodic close of windows
 * that have ended. Collection is h_collect's. */
#ifndef AIFB_MONITORING_H_SESSIONS_H
#define AIFB_MONITORING_H_SESSIONS_H

#include "arena.h"
#include "err.h"

struct req;
struct app;

/* A session as every answer shows it. */
#define SESSION_COLUMNS                                                                                                \
    "id, label, state, starts_at, ends_at, step_s, watch, created_at,"                                                 \
    " greatest(0, extract(epoch FROM ends_at - now()))::float8 AS seconds_left, collected_at, collected_step_s,"       \
    " collected_points, (SELECT count(*) FROM session_series x WHERE x.session_id = monitoring_sessions.id)"           \
    " AS collected_series"

enum err h_sessions_create(struct req *r);
enum err h_sessions_list(struct req *r);
enum err h_sessions_get(struct req *r);
enum err h_sessions_stop(struct req *r);
enum err h_sessions_delete(struct req *r);

/* The tick: under aifb-monitoring's advisory lock, closes every active session whose end has come. */
void sessions_close_ended(struct app *app, struct arena *a);

#endif
