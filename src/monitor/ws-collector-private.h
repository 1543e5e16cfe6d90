/* ws-collector-private.h — what the collector's two files share
 *
 * WsCollector is one object in two files: ws-collector.c (the object, its
 * writer thread that commits what every connection queued, the rate
 * limit, retention) and ws-collector-connection.c (one agent's report
 * connection, on the server's connection thread). One lock guards the
 * queue, the per-agent table and the counters.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-collector.h"
#include "ws-frame.h"

G_BEGIN_DECLS

/* Seconds an agent waits before resending what a failed store could not take. */
#define WS_COLLECTOR_STORE_RETRY_S 10

struct _WsCollector {
  GObject parent_instance;

  WsStore *store;
  guint32 max_report;
  guint16 window;
  gdouble rate;            /* reports/s per agent; 0: no limit */
  char *config_dir;        /* NULL: no central configuration */
  GHashTable *relays;      /* key names trusted to send RELAY */
  GHashTable *blocked;     /* agent names refused */
  gint64 retain_s;         /* 0: keep everything */

  GMutex lock;
  GCond wake;              /* the writer: work queued, or stop */
  GQueue queue;            /* WsCollectorEntry, for the writer */
  GThread *writer;
  gboolean stopping;
  GHashTable *agents;      /* name → WsCollectorAgent */
  WsCollectorStats stats;
};

/* Reports one connection handed to the writer, as one group. */
typedef struct {
  GCond done;
  guint n_waiting;         /* entries the writer has not answered yet */
} WsCollectorBurst;

/* One valid report on its way into the store, and then its answer. */
typedef struct {
  WsReport *report;
  guint8 id[WS_REPORT_ID_SIZE];
  WsCollectorBurst *burst;
  WsAckStatus status;
  guint16 retry_after_s;
  char *text;              /* RETRY: why */
} WsCollectorEntry;

/* ws-collector.c */
gboolean _ws_collector_take_token   (WsCollector       *self,
                                     const char        *agent,
                                     guint16           *retry_after_s);
void     _ws_collector_commit       (WsCollector       *self,
                                     GPtrArray         *entries,
                                     WsCollectorBurst  *burst);
void     _ws_collector_count        (WsCollector       *self,
                                     const char        *agent,
                                     WsAckStatus        status,
                                     gboolean           store_failed);
void     _ws_collector_count_connection (WsCollector   *self,
                                     const char        *agent);
gboolean _ws_collector_trusts_relay (WsCollector       *self,
                                     const char        *key_name);
gboolean _ws_collector_blocks       (WsCollector       *self,
                                     const char        *agent);
void     _ws_collector_entry_free   (WsCollectorEntry  *entry);

/* ws-collector-connection.c */
gboolean _ws_collector_serve        (WsCollector       *self,
                                     const WsReportPeer *peer,
                                     GError           **error);

G_END_DECLS
