/* ws-server.h — the Wirespeed server: accept, dispatch, sessions
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-auth.h"
#include "ws-acl.h"
#include "ws-report-sink.h"

G_BEGIN_DECLS

#define WS_DEFAULT_PORT 5201
#define WS_DEFAULT_MAX_CLIENTS 32
#define WS_DEFAULT_IDLE_TIMEOUT_S 45
/* Connections one address may hold before they are admitted to a test:
 * room for a test's 64 data connections twice over, half the slots. */
#define WS_DEFAULT_MAX_PENDING_PER_ADDRESS 128
/* Report connections served at once (a collector's agents, each holding
 * one while it sends), on top of the room kept for tests. */
#define WS_DEFAULT_MAX_REPORT_CONNECTIONS 1024

#define WS_TYPE_SERVER (ws_server_get_type ())
G_DECLARE_FINAL_TYPE (WsServer, ws_server, WS, SERVER, GObject)

typedef struct {
  guint64 sessions_completed;
  guint64 sessions_failed;
  guint64 connections_rejected;
  guint64 connections_denied; /* by the ACL: TCP connections and UDP STREAM_HELLOs */
  guint64 bytes_received;
  guint64 bytes_sent;
  guint64 legacy_udp_packets;
} WsServerStats;

WsServer   *ws_server_new              (void);
void        ws_server_set_port         (WsServer       *self,
                                        guint16         port);
void        ws_server_set_bind_address (WsServer       *self,
                                        const char     *address);
void        ws_server_set_max_clients  (WsServer       *self,
                                        guint           max_clients);
void        ws_server_set_tls          (WsServer       *self,
                                        GTlsCertificate *certificate,
                                        gboolean        allow_plaintext);
void        ws_server_set_auth         (WsServer       *self,
                                        WsAuth         *auth);
void        ws_server_set_idle_timeout (WsServer       *self,
                                        guint           seconds);
void        ws_server_set_acl          (WsServer       *self,
                                        WsAcl          *acl);
void        ws_server_set_max_per_address (WsServer    *self,
                                        guint           max_sessions);
void        ws_server_set_max_pending_per_address (WsServer *self,
                                        guint           max_connections);
void        ws_server_set_max_duration (WsServer       *self,
                                        guint           seconds);
void        ws_server_set_max_bitrate  (WsServer       *self,
                                        guint64         bits_per_second);
void        ws_server_set_report_sink  (WsServer       *self,
                                        WsReportSink   *sink);
void        ws_server_set_max_report_connections (WsServer *self,
                                        guint           max_connections);
gboolean    ws_server_start            (WsServer       *self,
                                        GError        **error);
void        ws_server_stop             (WsServer       *self);
guint16     ws_server_get_port         (WsServer       *self);
char       *ws_server_describe_address (WsServer       *self);
guint       ws_server_get_n_sessions   (WsServer       *self);
void        ws_server_get_stats        (WsServer       *self,
                                        WsServerStats  *stats);

G_END_DECLS
