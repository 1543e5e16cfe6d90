/* ws-fake-server.h — what a client meets when the other end is not right
 *
 * A listener on an ephemeral loopback port that answers one connection
 * wrongly on purpose: a server too old for us, one that hangs up at once,
 * one that never speaks. Shared by the CLI and GUI tests.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <string.h>


typedef enum {
  FAKE_TOO_OLD,   /* answers a protocol v2 ERROR: UNSUPPORTED_VERSION 1 */
  FAKE_CLOSE,     /* accepts and closes at once */
  FAKE_SILENT,    /* accepts and never answers */
} FakeMode;

typedef struct {
  FakeMode mode;
  GSocketListener *listener;
  GCancellable *cancellable;
  GThread *thread;
  guint port;
} FakeServer;

static inline void
build_too_old_error (guint8 *msg)
{
  static const guint8 head[] = {
    0x02, 0x7f, 0x00, 0x80,   /* v2 ERROR, 128 payload bytes */
    0x00, 0x01,               /* UNSUPPORTED_VERSION */
    0x00, 0x01,               /* it speaks version 1 */
  };
  const char *text = "version 1 only";

  memset (msg, 0, 132);
  memcpy (msg, head, sizeof head);
  memcpy (msg + sizeof head, text, strlen (text));
}

static gpointer
fake_server_thread (gpointer user_data)
{
  FakeServer *f = user_data;
  g_autoptr(GSocketConnection) conn = NULL;
  GInputStream *in;
  guint8 buf[4096];

  conn = g_socket_listener_accept (f->listener, NULL, f->cancellable, NULL);
  if (conn == NULL)
    return NULL;
  if (f->mode == FAKE_CLOSE)
    {
      g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
      return NULL;
    }

  g_socket_set_timeout (g_socket_connection_get_socket (conn), 30);
  in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  if (g_input_stream_read (in, buf, sizeof buf, f->cancellable, NULL) <= 0)
    return NULL;
  if (f->mode == FAKE_TOO_OLD)
    {
      guint8 msg[132];

      build_too_old_error (msg);
      g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), msg,
                                 sizeof msg, NULL, f->cancellable, NULL);
    }
  /* Hold the connection until the client hangs up. */
  while (g_input_stream_read (in, buf, sizeof buf, f->cancellable, NULL) > 0)
    ;
  return NULL;
}

static inline FakeServer *
fake_server_start (FakeMode mode)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;
  FakeServer *f = g_new0 (FakeServer, 1);

  f->mode = mode;
  f->listener = g_socket_listener_new ();
  f->cancellable = g_cancellable_new ();
  g_socket_listener_add_address (f->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  f->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  f->thread = g_thread_new ("fake-server", fake_server_thread, f);
  return f;
}

static inline void
fake_server_stop (FakeServer *f)
{
  g_cancellable_cancel (f->cancellable);
  g_thread_join (f->thread);
  g_socket_listener_close (f->listener);
  g_object_unref (f->listener);
  g_object_unref (f->cancellable);
  g_free (f);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_stop)
