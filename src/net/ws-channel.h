/* ws-channel.h — a control connection, in plaintext or TLS
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-frame.h"
#include "ws-protocol.h"

G_BEGIN_DECLS

/* How a client checks the server's certificate. */
typedef struct {
  const char *ca_file;      /* NULL: the system's CAs */
  const char *fingerprint;  /* SHA-256 of the certificate, hex, colons
                             * optional; pins it, CA or not */
} WsTlsClientOptions;

/* The one protocol a server offers by ALPN. */
#define WS_CHANNEL_ALPN_HTTP "http/1.1"

#define WS_TYPE_CHANNEL (ws_channel_get_type ())
G_DECLARE_FINAL_TYPE (WsChannel, ws_channel, WS, CHANNEL, GObject)

WsChannel *ws_channel_new            (GSocket                  *socket);
GSocket   *ws_channel_get_socket     (WsChannel                *self);
gboolean   ws_channel_is_tls         (WsChannel                *self);
gboolean   ws_channel_accept_tls     (WsChannel                *self,
                                      GTlsCertificate          *certificate,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
const char *ws_channel_get_alpn     (WsChannel                *self);
GIOStream *ws_channel_get_tls_stream (WsChannel                *self);
gboolean   ws_channel_connect_tls    (WsChannel                *self,
                                      GSocketConnectable       *identity,
                                      const WsTlsClientOptions *options,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
gboolean   ws_channel_read_message   (WsChannel                *self,
                                      WsMessage                *msg,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
gboolean   ws_channel_send_message   (WsChannel                *self,
                                      const WsMessage          *msg,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
gboolean   ws_channel_send_error     (WsChannel                *self,
                                      WsProtocolError           code,
                                      guint16                   value,
                                      const char               *text);
gboolean   ws_channel_wait_readable  (WsChannel                *self,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
gboolean   ws_channel_read_exact     (WsChannel                *self,
                                      guint8                   *buf,
                                      gsize                     n,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
gboolean   ws_channel_write_all      (WsChannel                *self,
                                      const guint8             *buf,
                                      gsize                     n,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
gboolean   ws_channel_has_pending    (WsChannel                *self);
gboolean   ws_channel_read_frame     (WsChannel                *self,
                                      guint32                   max_report,
                                      WsFrameHeader            *header,
                                      guint8                  **payload,
                                      gint64                    deadline_ns,
                                      GCancellable             *cancellable,
                                      GError                  **error);
void       ws_channel_send_frame_error (WsChannel              *self,
                                      WsProtocolError           code,
                                      const char               *text);

gboolean   ws_tls_check_available         (GError         **error);
char      *ws_tls_certificate_fingerprint (GTlsCertificate *certificate);
gboolean   ws_tls_fingerprint_parse       (const char      *text,
                                           guint8           digest[32]);
gboolean   ws_tls_certificate_digest      (GTlsCertificate *certificate,
                                           guint8           digest[32]);
const char *ws_tls_describe_certificate_errors (GTlsCertificateFlags errors);
GTlsDatabase *ws_tls_load_ca              (const char      *ca_file,
                                           GError         **error);

G_END_DECLS
