/* ws-io.c — message I/O on control connections, with deadlines
 *
 * Control sockets are non-blocking; every wait goes through
 * g_socket_condition_timed_wait() so that a deadline and a GCancellable can
 * end it. Control traffic is a few hundred bytes a second, so clarity wins
 * over syscall count here; the data path lives in ws-stream.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ws-io.h"
#include "ws-time.h"

static gboolean
wait_for (GSocket       *socket,
          GIOCondition   condition,
          gint64         deadline_ns,
          GCancellable  *cancellable,
          GError       **error)
{
  gint64 timeout_us = -1;

  if (deadline_ns != WS_NO_DEADLINE)
    {
      gint64 left = deadline_ns - ws_now_ns ();
      /* Round up: a zero timeout would poll once and spin. */
      timeout_us = left <= 0 ? 0 : (left + 999) / 1000;
    }
  return g_socket_condition_timed_wait (socket, condition, timeout_us, cancellable, error);
}

gboolean
ws_io_wait_readable (GSocket       *socket,
                     gint64         deadline_ns,
                     GCancellable  *cancellable,
                     GError       **error)
{
  return wait_for (socket, G_IO_IN, deadline_ns, cancellable, error);
}

gboolean
ws_io_read_exact (GSocket       *socket,
                  guint8        *buf,
                  gsize          n,
                  gint64         deadline_ns,
                  GCancellable  *cancellable,
                  GError       **error)
{
  gsize have = 0;

  while (have < n)
    {
      g_autoptr(GError) local_error = NULL;
      gssize r;

      if (!wait_for (socket, G_IO_IN, deadline_ns, cancellable, error))
        return FALSE;
      r = g_socket_receive (socket, (char *) buf + have, n - have, cancellable, &local_error);
      if (r < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (r == 0)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               _("Connection closed by peer"));
          return FALSE;
        }
      have += r;
    }
  return TRUE;
}

gboolean
ws_io_write_all (GSocket       *socket,
                 const guint8  *buf,
                 gsize          n,
                 gint64         deadline_ns,
                 GCancellable  *cancellable,
                 GError       **error)
{
  gsize done = 0;

  while (done < n)
    {
      g_autoptr(GError) local_error = NULL;
      gssize r;

      if (!wait_for (socket, G_IO_OUT, deadline_ns, cancellable, error))
        return FALSE;
      r = g_socket_send_with_blocking (socket, (const char *) buf + done, n - done,
                                       FALSE, cancellable, &local_error);
      if (r < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      done += r;
    }
  return TRUE;
}

/* Reads exactly one message from whatever @read_exact reads (a socket, a
 * TLS connection): a byte at a time until the frame size is known (at most
 * four), then the rest. Never reads past the message, so a data
 * connection's first payload bytes stay in the socket for the data path. */
gboolean
ws_io_read_frame (WsReadExactFunc  read_exact,
                  gpointer         source,
                  WsMessage       *msg,
                  gint64           deadline_ns,
                  GCancellable    *cancellable,
                  GError         **error)
{
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  gsize have = 0;
  gssize size = 0;

  while (size == 0)
    {
      if (!read_exact (source, buf + have, 1, deadline_ns, cancellable, error))
        return FALSE;
      have++;
      size = ws_message_frame_size (buf, have, error);
      if (size < 0)
        return FALSE;
    }
  if ((gsize) size > have
      && !read_exact (source, buf + have, size - have, deadline_ns, cancellable, error))
    return FALSE;
  return ws_message_decode (buf, size, msg, NULL, error);
}

static gboolean
socket_read_exact (gpointer       socket,
                   guint8        *buf,
                   gsize          n,
                   gint64         deadline_ns,
                   GCancellable  *cancellable,
                   GError       **error)
{
  return ws_io_read_exact (socket, buf, n, deadline_ns, cancellable, error);
}

gboolean
ws_io_read_message (GSocket       *socket,
                    WsMessage     *msg,
                    gint64         deadline_ns,
                    GCancellable  *cancellable,
                    GError       **error)
{
  return ws_io_read_frame (socket_read_exact, socket, msg, deadline_ns, cancellable, error);
}

gboolean
ws_io_send_message (GSocket          *socket,
                    const WsMessage  *msg,
                    gint64            deadline_ns,
                    GCancellable     *cancellable,
                    GError          **error)
{
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  gsize n = ws_message_encode (msg, buf, sizeof buf);

  g_return_val_if_fail (n > 0, FALSE);
  return ws_io_write_all (socket, buf, n, deadline_ns, cancellable, error);
}

/* Best effort: the peer may already be gone, and a peer that does not read
 * must not hold us for more than a second. */
gboolean
ws_io_send_error (GSocket         *socket,
                  WsProtocolError  code,
                  guint16          value,
                  const char      *text)
{
  WsMessage msg;

  ws_message_init_error (&msg, code, value, text);
  return ws_io_send_message (socket, &msg, ws_now_ns () + WS_NSEC_PER_SEC, NULL, NULL);
}

/* Ends our side after a last message and reads, and drops, what the peer
 * still sends until it closes, for @linger_ns at most. Closing a socket
 * with unread bytes makes the kernel send RST instead of FIN, and an RST
 * can overtake the ERROR we just sent: a client that had already sent its
 * next message then read "connection reset" instead of why it was
 * refused. */
void
ws_io_linger_close (GSocket *socket,
                    gint64   linger_ns)
{
  gint64 deadline = ws_now_ns () + linger_ns;
  char scratch[4096];
  gsize dropped = 0;

  if (!g_socket_shutdown (socket, FALSE, TRUE, NULL))
    return;
  while (dropped < 64 * 1024 && wait_for (socket, G_IO_IN, deadline, NULL, NULL))
    {
      g_autoptr(GError) error = NULL;
      gssize r = g_socket_receive (socket, scratch, sizeof scratch, NULL, &error);

      if (r == 0 || (r < 0 && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
        break;
      dropped += MAX (r, 0);
    }
}

void
ws_io_set_error_from_message (GError          **error,
                              const WsMessage  *msg)
{
  g_return_if_fail (msg->type == WS_MSG_ERROR);
  /* The peer's text as it sent it, in English (ws-server.c says why). */
  g_set_error (error, WS_PROTOCOL_ERROR, msg->u.error.code, "%s",
               msg->u.error.text[0] ? msg->u.error.text : _("unspecified error"));
}
