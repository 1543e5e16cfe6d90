/* ws-cli-collect.h — the collector's options: `--server --collect DB`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-collector.h"

G_BEGIN_DECLS

/* As typed; GOptionContext fills it. */
typedef struct {
  char *collect;
  char *max_report_size;
  double collect_rate;
  char *agent_config;
  char **trust_relay;
  char *retain;
  gint max_report_connections;
} WsCliCollectRaw;

/* Validated. location NULL: the server does not collect. */
typedef struct {
  char *location;          /* a file (SQLite) or a postgresql:// URI */
  guint32 max_report;      /* bytes */
  gdouble rate;            /* reports/s per agent; 0: no limit */
  char *agent_config_dir;  /* NULL: none */
  char **trusted_relays;   /* NULL: none */
  gint64 retain_s;         /* 0: keep everything */
  guint max_connections;
} WsCliCollect;

void     ws_cli_collect_raw_init    (WsCliCollectRaw       *raw);
void     ws_cli_collect_raw_clear   (WsCliCollectRaw       *raw);
void     ws_cli_collect_add_entries (GOptionContext        *context,
                                     WsCliCollectRaw       *raw);
gboolean ws_cli_collect_fill        (WsCliCollect          *collect,
                                     const WsCliCollectRaw *raw,
                                     gboolean               server,
                                     gboolean               relay,
                                     gboolean               secure,
                                     GError               **error);
void     ws_cli_collect_clear       (WsCliCollect          *collect);
void     ws_cli_collect_configure   (WsCollector           *collector,
                                     const WsCliCollect    *collect);
WsCollector *ws_cli_collect_start   (const WsCliCollect    *collect,
                                     GError               **error);
void     ws_cli_collect_print_stats (WsCollector           *collector);
gboolean ws_cli_parse_duration      (const char            *text,
                                     gint64                *seconds);

G_END_DECLS
