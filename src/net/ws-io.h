/* ws-io.h — message I/O on control connections, with deadlines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

/* Deadlines are absolute ws_now_ns() values; WS_NO_DEADLINE waits forever. */
#define WS_NO_DEADLINE G_MAXINT64

gboolean ws_io_read_exact    (GSocket         *socket,
                              guint8          *buf,
                              gsize            n,
                              gint64           deadline_ns,
                              GCancellable    *cancellable,
                              GError         **error);
gboolean ws_io_write_all     (GSocket         *socket,
                              const guint8    *buf,
                              gsize            n,
                              gint64           deadline_ns,
                              GCancellable    *cancellable,
                              GError         **error);
/* Reads exactly @n bytes from @source or fails; the shape both plaintext
 * and TLS connections share, so that framing is written once. */
typedef gboolean (*WsReadExactFunc) (gpointer         source,
                                     guint8          *buf,
                                     gsize            n,
                                     gint64           deadline_ns,
                                     GCancellable    *cancellable,
                                     GError         **error);

gboolean ws_io_read_frame    (WsReadExactFunc  read_exact,
                              gpointer         source,
                              WsMessage       *msg,
                              gint64           deadline_ns,
                              GCancellable    *cancellable,
                              GError         **error);
gboolean ws_io_read_message  (GSocket         *socket,
                              WsMessage       *msg,
                              gint64           deadline_ns,
                              GCancellable    *cancellable,
                              GError         **error);
gboolean ws_io_send_message  (GSocket         *socket,
                              const WsMessage *msg,
                              gint64           deadline_ns,
                              GCancellable    *cancellable,
                              GError         **error);
gboolean ws_io_send_error    (GSocket         *socket,
                              WsProtocolError  code,
                              guint16          value,
                              const char      *text);
gboolean ws_io_wait_readable (GSocket         *socket,
                              gint64           deadline_ns,
                              GCancellable    *cancellable,
                              GError         **error);
void     ws_io_linger_close  (GSocket         *socket,
                              gint64           linger_ns);
void     ws_io_set_error_from_message (GError          **error,
                                       const WsMessage  *msg);

G_END_DECLS
