/* ws-collector.h — agents' reports into a store: `wirespeed --server --collect`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-report-sink.h"
#include "ws-store.h"

G_BEGIN_DECLS

/* Reports an agent may send before it must wait for ACKs. */
#define WS_COLLECTOR_DEFAULT_WINDOW 32
/* Reports per second one agent may have stored, on average... */
#define WS_COLLECTOR_DEFAULT_RATE 20.0
/* ...and the bucket holds this many seconds of it: an agent back from a
 * day without its collector (288 five-minute results) sends them at once. */
#define WS_COLLECTOR_BURST_S 15
/* Reports per transaction, at most. */
#define WS_COLLECTOR_BATCH_MAX 256

#define WS_TYPE_COLLECTOR (ws_collector_get_type ())
G_DECLARE_FINAL_TYPE (WsCollector, ws_collector, WS, COLLECTOR, GObject)

/* What became of reports, for the whole collector or one agent. */
typedef struct {
  guint64 connections;  /* report connections accepted */
  guint64 stored;       /* ACK STORED: a new row, committed */
  guint64 duplicate;    /* ACK DUPLICATE: the id was there */
  guint64 rejected;     /* ACK REJECTED: invalid, stored nowhere */
  guint64 retried;      /* ACK RETRY: over the rate, or the store failed */
  guint64 store_failed; /* of those, because the store failed */
  guint64 commits;      /* transactions (collector only) */
  guint64 queued;       /* reports waiting for the writer now (collector only) */
} WsCollectorStats;

WsCollector *ws_collector_new                (WsStore          *store);
void         ws_collector_set_max_report     (WsCollector      *self,
                                              guint32           bytes);
void         ws_collector_set_window         (WsCollector      *self,
                                              guint16           window);
void         ws_collector_set_rate           (WsCollector      *self,
                                              gdouble           reports_per_second);
void         ws_collector_set_agent_config_dir (WsCollector    *self,
                                              const char       *dir);
void         ws_collector_add_trusted_relay  (WsCollector      *self,
                                              const char       *key_name);
void         ws_collector_add_blocked        (WsCollector      *self,
                                              const char       *agent);
void         ws_collector_set_retain         (WsCollector      *self,
                                              gint64            seconds);
gboolean     ws_collector_start              (WsCollector      *self,
                                              GError          **error);
void         ws_collector_stop               (WsCollector      *self);
void         ws_collector_get_stats          (WsCollector      *self,
                                              WsCollectorStats *stats);
gboolean     ws_collector_get_agent_stats    (WsCollector      *self,
                                              const char       *agent,
                                              WsCollectorStats *stats);

G_END_DECLS
