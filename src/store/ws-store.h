/* ws-store.h — where a collector keeps agents' reports: SQLite or PostgreSQL
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-report.h"

G_BEGIN_DECLS

/* The schema this build writes and the newest it reads (docs/MONITORING.md). */
#define WS_STORE_SCHEMA_VERSION 3

/* Which SQL a store speaks, for queries written for both. */
typedef enum {
  WS_STORE_DIALECT_SQLITE,
  WS_STORE_DIALECT_POSTGRESQL,
} WsStoreDialect;

/* A query's answer: a few rows of aggregates, never a table's worth.
 * Cells are NULL or a value; numbers read back exactly as the database
 * holds them. */
typedef struct _WsStoreRows WsStoreRows;

typedef enum {
  WS_STORE_NEW,        /* the report's row was written by this call */
  WS_STORE_DUPLICATE,  /* a row with its id was already there: none added */
} WsStoreOutcome;

#define WS_TYPE_STORE (ws_store_get_type ())
G_DECLARE_INTERFACE (WsStore, ws_store, WS, STORE, GObject)

/* Every call is synchronous and thread-safe: one store object may be used
 * by any number of threads at once. How each implementation does it:
 *
 *  - SQLite: one connection behind a mutex. A database file has one writer
 *    at a time anyway, so more connections would only wait on its lock;
 *    several processes (or store objects) on one file wait in SQLite's busy
 *    handler.
 *  - PostgreSQL: a small pool of connections, one per call in flight, so
 *    that commits of several threads overlap on the server.
 *
 * Reports are idempotent by id: adding a report whose id is stored returns
 * WS_STORE_DUPLICATE and writes nothing, also when two processes add the
 * same id at the same moment (the primary key decides). A call returns
 * only after its transaction committed. */
struct _WsStoreInterface {
  GTypeInterface parent_iface;

  gboolean   (*add_many)  (WsStore          *self,
                           WsReport *const  *reports,
                           guint             n_reports,
                           WsStoreOutcome   *outcomes,
                           GError          **error);
  gint64     (*prune)     (WsStore          *self,
                           GDateTime        *before,
                           GError          **error);
  gint64     (*count)     (WsStore          *self,
                           GError          **error);
  gboolean   (*lookup)    (WsStore          *self,
                           const char       *id,
                           WsReportFigures  *figures,
                           char            **json,
                           GError          **error);
  GPtrArray *(*list_ids)  (WsStore          *self,
                           GError          **error);
  WsStoreDialect (*get_dialect) (WsStore     *self);
  WsStoreRows *(*query)   (WsStore           *self,
                           const char        *sql,
                           const char *const *params,
                           guint              n_params,
                           GError           **error);
};

WsStore   *ws_store_open      (const char       *location,
                               GError          **error);
gboolean   ws_store_add       (WsStore          *self,
                               WsReport         *report,
                               WsStoreOutcome   *outcome,
                               GError          **error);
gboolean   ws_store_add_many  (WsStore          *self,
                               WsReport *const  *reports,
                               guint             n_reports,
                               WsStoreOutcome   *outcomes,
                               GError          **error);
gint64     ws_store_prune     (WsStore          *self,
                               GDateTime        *before,
                               GError          **error);
gint64     ws_store_count     (WsStore          *self,
                               GError          **error);
gboolean   ws_store_has_id    (WsStore          *self,
                               const char       *id,
                               GError          **error);
gboolean   ws_store_lookup    (WsStore          *self,
                               const char       *id,
                               WsReportFigures  *figures,
                               char            **json,
                               GError          **error);
GPtrArray *ws_store_list_ids  (WsStore          *self,
                               GError          **error);

WsStoreDialect ws_store_get_dialect (WsStore       *self);
WsStoreRows *ws_store_query     (WsStore           *self,
                                 const char        *sql,
                                 const char *const *params,
                                 guint              n_params,
                                 GError           **error);

guint        ws_store_rows_get_n_rows   (const WsStoreRows *rows);
guint        ws_store_rows_get_n_columns (const WsStoreRows *rows);
gboolean     ws_store_rows_is_null      (const WsStoreRows *rows,
                                         guint              row,
                                         guint              column);
const char  *ws_store_rows_get_text     (const WsStoreRows *rows,
                                         guint              row,
                                         guint              column);
gdouble      ws_store_rows_get_double   (const WsStoreRows *rows,
                                         guint              row,
                                         guint              column);
gint64       ws_store_rows_get_int      (const WsStoreRows *rows,
                                         guint              row,
                                         guint              column);
void         ws_store_rows_free         (WsStoreRows       *rows);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsStoreRows, ws_store_rows_free)

/* The implementations, for ws_store_open() and tests. */
WsStore   *ws_sqlite_store_open (const char  *path,
                                 GError     **error);
WsStore   *ws_pg_store_open     (const char  *uri,
                                 GError     **error);
WsStore   *ws_sqlite_store_open_readonly (const char  *path,
                                          gboolean    *is_history,
                                          GError     **error);

G_END_DECLS
