/* ws-store-private.h — what the store implementations share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-store.h"

G_BEGIN_DECLS

/* One report as a row: checked, its id normalized, its JSON written. */
typedef struct {
  char *id;
  const WsReport *report;
  guint index;           /* in the caller's array */
  WsReportFigures figures;
  char *json;
} WsStoreRow;

gboolean  ws_store_row_init          (WsStoreRow     *row,
                                      const WsReport *report,
                                      GError        **error);
void      ws_store_row_clear         (WsStoreRow     *row);
char     *ws_store_display_location  (const char     *location);
void      ws_store_set_newer_error   (GError        **error,
                                      const char     *location,
                                      gint64          version);
char     *ws_store_one_line          (const char     *message);

/* The add and lookup statements both implementations run, with $1… for
 * parameters (which SQLite reads as well). @time_format wraps the two time
 * parameters (µs since the epoch) into the column's type, @start_time and
 * @failed read those columns back as an integer. */
enum {
  WS_STORE_P_ID = 1,
  WS_STORE_P_RECEIVED_AT,
  WS_STORE_P_AGENT,
  WS_STORE_P_TARGET,
  WS_STORE_P_PORT,
  WS_STORE_P_TEST,
  WS_STORE_P_START_TIME,
  WS_STORE_P_FAILED,
  WS_STORE_P_JSON,
  WS_STORE_P_LOCAL_ADDRESS,
  WS_STORE_P_SEEN_ADDRESS,
  WS_STORE_P_SERVER_TESTS,
  WS_STORE_P_ERROR,
  WS_STORE_P_NUMBERS,  /* then WS_REPORT_N_NUMBERS of them */
};

char     *ws_store_insert_sql        (const char     *time_format);
char     *ws_store_lookup_sql        (const char     *start_time,
                                      const char     *failed);
gboolean  ws_store_read_figures      (WsReportFigures *figures,
                                      const char      *test,
                                      gint64           start_time_us,
                                      gboolean         failed,
                                      GError         **error);

/* Building a query's answer, row by row. A cell's text is copied; its
 * number is what the database said (SQLite) or the text read as a number
 * (PostgreSQL sends doubles in their shortest exact form). */
WsStoreRows *_ws_store_rows_new       (guint          n_columns);
void      _ws_store_rows_add_row      (WsStoreRows   *rows);
void      _ws_store_rows_set          (WsStoreRows   *rows,
                                       guint          column,
                                       const char    *text,
                                       gdouble        number);

/* ws_percentile(x, p): PostgreSQL's percentile_cont(p) WITHIN GROUP
 * (ORDER BY x) as an SQLite aggregate (ws-sqlite-percentile.c). */
struct sqlite3;
int       _ws_sqlite_register_percentile (struct sqlite3 *db);
/* One query on a read-only connection of its own to @path
 * (ws-sqlite-query.c); whether an open file is the app's history. */
WsStoreRows *_ws_sqlite_query         (const char        *path,
                                       const char        *sql,
                                       const char *const *params,
                                       guint              n_params,
                                       GError           **error);
gboolean  _ws_sqlite_is_history       (struct sqlite3    *db);

/* Rows deleted per transaction when pruning, so that adds interleave. */
#define WS_STORE_PRUNE_BATCH 5000

/* The folder of a database file, made (0700) if it is missing. */
gboolean _ws_store_make_parent_dir (const char  *path,
                                    GError     **error);

G_END_DECLS
