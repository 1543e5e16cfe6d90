/* ws-history.h — the results of past tests, kept in SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-result.h"

G_BEGIN_DECLS

/* One row of the list: the headline numbers, without parsing the result. */
typedef struct {
  gint64 id;
  GDateTime *start_time;  /* local time */
  char *target;           /* never NULL */
  guint16 port;
  WsTestMode mode;
  WsDirection direction;
  guint streams;
  guint duration_s;       /* as asked for */
  gdouble elapsed_s;      /* as it ran */
  gdouble upload_bps;     /* NAN: not measured */
  gdouble download_bps;   /* NAN: not measured */
  gdouble latency_ms;     /* median: request/response, else loaded, else
                           * idle; NAN: not measured */
  gdouble rpm;            /* 0: none */
  gboolean interrupted;
} WsHistoryEntry;

#define WS_TYPE_HISTORY_ENTRY (ws_history_entry_get_type ())
GType ws_history_entry_get_type (void) G_GNUC_CONST;

WsHistoryEntry *ws_history_entry_copy (const WsHistoryEntry *entry);
void            ws_history_entry_free (WsHistoryEntry       *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsHistoryEntry, ws_history_entry_free)

#define WS_TYPE_HISTORY (ws_history_get_type ())
/* Any thread may call it. Emits "changed" after a result was added or
 * removed: on the calling thread for the calls below, on the caller's
 * main context for the async ones. */
G_DECLARE_FINAL_TYPE (WsHistory, ws_history, WS, HISTORY, GObject)

char      *ws_history_default_path (void);
WsHistory *ws_history_open         (const char     *path,
                                    GError        **error);
gint64     ws_history_add          (WsHistory      *self,
                                    WsResult       *result,
                                    GError        **error);
GPtrArray *ws_history_list         (WsHistory      *self,
                                    GError        **error);
WsResult  *ws_history_get          (WsHistory      *self,
                                    gint64          id,
                                    GError        **error);
gboolean   ws_history_delete       (WsHistory      *self,
                                    gint64          id,
                                    GError        **error);
gboolean   ws_history_clear        (WsHistory      *self,
                                    GError        **error);
gboolean   ws_history_export_csv   (WsHistory      *self,
                                    GOutputStream  *out,
                                    GCancellable   *cancellable,
                                    GError        **error);
gboolean   ws_history_export_json  (WsHistory      *self,
                                    gint64          id,
                                    GOutputStream  *out,
                                    GCancellable   *cancellable,
                                    GError        **error);

/* The same on a worker thread (ws-history-async.c), for a main loop that
 * must not wait for the disk. Writes are never cancelled. */
void       ws_history_add_async       (WsHistory            *self,
                                       WsResult             *result,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gint64     ws_history_add_finish      (WsHistory            *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void       ws_history_list_async      (WsHistory            *self,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
GPtrArray *ws_history_list_finish     (WsHistory            *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void       ws_history_get_async       (WsHistory            *self,
                                       gint64                id,
                                       GCancellable         *cancellable,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
WsResult  *ws_history_get_finish      (WsHistory            *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void       ws_history_delete_async    (WsHistory            *self,
                                       gint64                id,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
void       ws_history_clear_async     (WsHistory            *self,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
void       ws_history_save_csv_async  (WsHistory            *self,
                                       GFile                *file,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
void       ws_history_save_json_async (WsHistory            *self,
                                       gint64                id,
                                       GFile                *file,
                                       GAsyncReadyCallback   callback,
                                       gpointer              user_data);
gboolean   ws_history_write_finish    (WsHistory            *self,
                                       GAsyncResult         *result,
                                       GError              **error);
void       ws_history_flush           (WsHistory            *self);

char      *ws_history_analysis_source (const char   *agent);

G_END_DECLS
