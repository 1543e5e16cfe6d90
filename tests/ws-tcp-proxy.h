/* ws-tcp-proxy.h — a TCP relay on loopback, a NAT the tests can build
 *
 * Every connection to the proxy's port is relayed to the server's port on
 * 127.0.0.1 from a socket of the proxy's own, so the server sees another
 * address and port than the client's, as behind NAT (for TCP: no UDP).
 * With @strip_client_address it also clears the CLIENT_ADDRESS,
 * TEST_BYTES and SERVER_TESTS capabilities from a HELLO, so that the
 * server answers as one that predates them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <string.h>

#include "ws-address.h"
#include "ws-protocol.h"

typedef struct {
  GSocketListener *listener;
  GCancellable *cancellable;
  GThread *accept_thread;
  guint port;
  guint16 upstream_port;
  gboolean strip_client_address;

  GMutex lock;
  GPtrArray *threads;      /* GThread*, the pumps */
  GPtrArray *connections;  /* GSocketConnection*, both ends of each relay */
  char *first_upstream;    /* the control connection as the server sees it */
} TcpProxy;

typedef struct {
  TcpProxy *proxy;
  GSocketConnection *from;
  GSocketConnection *to;
  gboolean client_side;    /* carries what the client sends */
} Pump;

/* A HELLO without the bits newer than TEST_GRANT, as an older client sends
 * it: the server's answer is then an older server's, a TEST_GRANT whose
 * last four bytes are reserved and zero. */
static inline gboolean
tcp_proxy_forward_first (Pump          *pump,
                         GInputStream  *in,
                         GOutputStream *out)
{
  guint8 buf[WS_V2_HEADER_SIZE + 12];
  static const guint8 hello[] = { 0x02, WS_MSG_HELLO, 0x00, 0x0c };
  gsize n = 0;

  if (!g_input_stream_read_all (in, buf, WS_V2_HEADER_SIZE, &n, pump->proxy->cancellable, NULL)
      || n < WS_V2_HEADER_SIZE)
    return FALSE;
  if (memcmp (buf, hello, sizeof hello) == 0)
    {
      if (!g_input_stream_read_all (in, buf + n, 12, &n, pump->proxy->cancellable, NULL) || n < 12)
        return FALSE;
      n = sizeof buf;
      buf[15] &= ~(guint8) (WS_CAP_CLIENT_ADDRESS | WS_CAP_TEST_BYTES | WS_CAP_SERVER_TESTS);
    }
  return g_output_stream_write_all (out, buf, n, NULL, pump->proxy->cancellable, NULL);
}

static gpointer
tcp_proxy_pump (gpointer data)
{
  Pump *pump = data;
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (pump->from));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (pump->to));
  guint8 buf[65536];
  gssize n;

  if (pump->client_side && pump->proxy->strip_client_address
      && !tcp_proxy_forward_first (pump, in, out))
    goto done;
  while ((n = g_input_stream_read (in, buf, sizeof buf, pump->proxy->cancellable, NULL)) > 0)
    if (!g_output_stream_write_all (out, buf, n, NULL, pump->proxy->cancellable, NULL))
      break;
done:
  /* Half-close, as the end we read from did: the server reads to EOF. */
  g_socket_shutdown (g_socket_connection_get_socket (pump->to), FALSE, TRUE, NULL);
  g_free (pump);
  return NULL;
}

static inline void
tcp_proxy_start_pump (TcpProxy          *proxy,
                      GSocketConnection *from,
                      GSocketConnection *to,
                      gboolean           client_side)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->proxy = proxy;
  pump->from = from;
  pump->to = to;
  pump->client_side = client_side;
  g_ptr_array_add (proxy->threads, g_thread_new ("proxy-pump", tcp_proxy_pump, pump));
}

static gpointer
tcp_proxy_accept_thread (gpointer data)
{
  TcpProxy *proxy = data;
  GSocketConnection *down;

  while ((down = g_socket_listener_accept (proxy->listener, NULL, proxy->cancellable, NULL)))
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      GSocketConnection *up = g_socket_client_connect_to_host (client, "127.0.0.1",
                                                               proxy->upstream_port,
                                                               proxy->cancellable, NULL);
      g_autoptr(GSocketAddress) local = NULL;

      if (up == NULL)
        {
          g_object_unref (down);
          continue;
        }
      local = g_socket_get_local_address (g_socket_connection_get_socket (up), NULL);
      g_mutex_lock (&proxy->lock);
      if (proxy->first_upstream == NULL)
        proxy->first_upstream = ws_address_format (local);
      g_ptr_array_add (proxy->connections, down);
      g_ptr_array_add (proxy->connections, up);
      tcp_proxy_start_pump (proxy, down, up, TRUE);
      tcp_proxy_start_pump (proxy, up, down, FALSE);
      g_mutex_unlock (&proxy->lock);
    }
  return NULL;
}

static inline TcpProxy *
tcp_proxy_start (guint16  upstream_port,
                 gboolean strip_client_address)
{
  TcpProxy *proxy = g_new0 (TcpProxy, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  proxy->upstream_port = upstream_port;
  proxy->strip_client_address = strip_client_address;
  proxy->listener = g_socket_listener_new ();
  proxy->cancellable = g_cancellable_new ();
  proxy->threads = g_ptr_array_new ();
  proxy->connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_init (&proxy->lock);
  g_socket_listener_add_address (proxy->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  proxy->accept_thread = g_thread_new ("proxy-accept", tcp_proxy_accept_thread, proxy);
  return proxy;
}

/* Returns: (transfer full) (nullable): the address the server saw for the
 * first connection relayed, the client's control connection. */
static inline char *
tcp_proxy_dup_first_upstream (TcpProxy *proxy)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&proxy->lock);

  return g_strdup (proxy->first_upstream);
}

static inline void
tcp_proxy_free (TcpProxy *proxy)
{
  g_cancellable_cancel (proxy->cancellable);
  g_socket_listener_close (proxy->listener);
  g_thread_join (proxy->accept_thread);
  for (guint i = 0; i < proxy->threads->len; i++)
    g_thread_join (g_ptr_array_index (proxy->threads, i));
  g_ptr_array_unref (proxy->threads);
  g_ptr_array_unref (proxy->connections);
  g_object_unref (proxy->listener);
  g_object_unref (proxy->cancellable);
  g_mutex_clear (&proxy->lock);
  g_free (proxy->first_upstream);
  g_free (proxy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TcpProxy, tcp_proxy_free)
