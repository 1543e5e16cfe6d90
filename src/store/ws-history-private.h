/* ws-history-private.h — what the files of WsHistory share
 *
 * ws-history.c (the store), ws-history-export.c (CSV and JSON out of it)
 * and ws-history-async.c (all of it on workers).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "ws-history.h"

G_BEGIN_DECLS

struct _WsHistory {
  GObject parent_instance;

  sqlite3 *db;
  char *path;
  GMutex lock;        /* around every use of db */

  GMutex writes_lock;
  GCond writes_done;
  guint writes;       /* queued or running on a worker */
};

/* The connection's statements; with self->lock held. */
sqlite3_stmt *_ws_history_prepare      (WsHistory   *self,
                                        const char  *sql,
                                        GError     **error);
gboolean      _ws_history_sqlite_error (WsHistory   *self,
                                        int          rc,
                                        GError     **error);
JsonNode     *_ws_history_load_json    (WsHistory   *self,
                                        gint64       id,
                                        GError     **error);
GDateTime    *_ws_history_date_time    (gint64       usec);

/* The calls that change the history, each whole under the connection's
 * lock and silent: "changed" is for the caller to emit on its own thread. */

gint64   _ws_history_add          (WsHistory  *self,
                                   WsResult   *result,
                                   GError    **error);
gboolean _ws_history_delete       (WsHistory  *self,
                                   gint64      id,
                                   GError    **error);
gboolean _ws_history_clear        (WsHistory  *self,
                                   GError    **error);
void     _ws_history_emit_changed (WsHistory  *self);
void     _ws_history_begin_write  (WsHistory  *self);
void     _ws_history_end_write    (WsHistory  *self);

G_END_DECLS
