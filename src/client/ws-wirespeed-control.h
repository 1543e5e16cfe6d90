/* ws-wirespeed-control.h — the control connection to a Wirespeed server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-channel.h"
#include "ws-protocol.h"
#include "ws-test-config.h"
#include "ws-time.h"

G_BEGIN_DECLS

#define WS_CONTROL_TIMEOUT_NS (10 * WS_NSEC_PER_SEC)

/* One control connection: plaintext or TLS, as the config asks. */
typedef struct {
  GSocketConnection *connection;
  GSocket *socket;          /* the connection's socket… */
  WsChannel *channel;       /* …and the channel over it, maybe TLS */
  GSocketAddress *remote;   /* where data connections go too */
  gint64 connect_ns;        /* how long the TCP connect took */
  GCancellable *stop;
} WsControl;

WsControl *ws_control_connect            (const WsTestConfig  *config,
                                          GCancellable        *stop,
                                          GError             **error);
void       ws_control_free               (WsControl           *control);
gboolean   ws_control_send               (WsControl           *control,
                                          const WsMessage     *msg,
                                          GError             **error);
gboolean   ws_control_send_hello         (WsControl           *control,
                                          GError             **error);
gboolean   ws_control_expect             (WsControl           *control,
                                          guint8               type,
                                          WsMessage           *msg,
                                          GError             **error);
void       ws_control_set_server_error   (GError             **error,
                                          const WsMessage     *msg);
void       ws_control_set_no_answer_error (GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsControl, ws_control_free)

G_END_DECLS
