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

/* Rows deleted per transaction when pruning, so that adds interleave. */
#define WS_STORE_PRUNE_BATCH 5000

/* The folder of a database file, made (0700) if it is missing. */
gboolean _ws_store_make_parent_dir (const char  *path,
                                    GError     **error);

G_END_DECLS
