/* ws-udp-demux.c — datagrams of streams not yet connected
 *
 * UDP streams share the control port. Each announces itself with one
 * datagram to the port's unconnected socket (a version 2 STREAM_HELLO with
 * its session's cookie, or iperf3's four-byte "connect"); this thread
 * gives it a socket of its own, connected to the stream's source, and
 * hands that to its session. Anything else is junk, dropped unanswered.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws-iperf3.h"
#include "ws-protocol.h"
#include "ws-server-private.h"

/* A UDP socket on the listener's address and port. SO_REUSEADDR lets each
 * UDP stream have a socket of its own on the same port, connected to its
 * client: the kernel delivers a datagram to the connected socket that
 * matches its source before the unconnected one (iperf3 does the same). */
static int
open_udp (GSocketAddress  *local,
          const struct sockaddr *peer,
          socklen_t        peer_len,
          GError         **error)
{
  struct sockaddr_storage ss;
  int one = 1, zero = 0;
  int fd;

  if (!g_socket_address_to_native (local, &ss, sizeof ss, error))
    return -1;
  fd = socket (ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    goto fail;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind (fd, (struct sockaddr *) &ss, g_socket_address_get_native_size (local)) < 0
      || (peer != NULL && connect (fd, peer, peer_len) < 0))
    goto fail;
  return fd;

fail:
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
               _("Cannot open the UDP port: %s"), g_strerror (errno));
  if (fd >= 0)
    close (fd);
  return -1;
}

/* A datagram that announced a stream, and where from. */
typedef struct {
  const struct sockaddr *peer;
  socklen_t peer_len;
  GSocketAddress *from;
} Datagram;

/* Returns: (transfer full) (nullable): a socket of the stream's own,
 * connected to its source; NULL after a log line saying why not. */
static GSocket *
connect_stream (WsServer       *self,
                const Datagram *d,
                const char     *what)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (self->listener, NULL);
  g_autoptr(GError) error = NULL;
  GSocket *socket = NULL;
  int fd;

  if (local == NULL)
    return NULL;
  fd = open_udp (local, d->peer, d->peer_len, &error);
  if (fd < 0 || (socket = g_socket_new_from_fd (fd, &error)) == NULL)
    {
      g_info ("%s: %s", what, error->message);
      if (fd >= 0)
        close (fd);
    }
  return socket;
}

/* A STREAM_HELLO datagram: give the stream a connected socket of its own,
 * hand it to its session, and acknowledge from it. */
static void
accept_udp_stream (WsServer            *self,
                   const WsStreamHello *hello,
                   const Datagram      *d)
{
  WsSessionKey key = { hello->cookie, WS_COOKIE_SIZE, NULL };
  g_autoptr(WsServerSession) session = _ws_server_find_session (self, &key);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *what = NULL;
  guint8 ack[WS_MESSAGE_MAX_SIZE];
  WsDataConnection data = { NULL, hello, 0 };
  WsMessage msg;

  if (session == NULL)
    return;
  /* The stream will send where its hello came from: only to the host of
   * the test's control connection (ws_session_match()). */
  key.source = G_IS_INET_SOCKET_ADDRESS (d->from)
               ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (d->from)) : NULL;
  if (key.source == NULL || !ws_server_session_match (session, &key))
    {
      g_info ("UDP stream %u: hello from another host than the test's, dropped", hello->stream_id);
      return;
    }
  what = g_strdup_printf ("UDP stream %u", hello->stream_id);
  if ((socket = connect_stream (self, d, what)) == NULL)
    return;
  data.socket = socket;
  if (!ws_server_session_attach (session, &data, &error))
    {
      /* A repeated hello that raced its own socket lands here: harmless. */
      g_info ("UDP stream %u refused: %s", hello->stream_id, error->message);
      return;
    }
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_STREAM_ACK);
  msg.u.stream_hello = *hello;
  send (g_socket_get_fd (socket), ack, ws_message_encode (&msg, ack, sizeof ack),
        MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* An iperf3 UDP stream says only "connect" (four bytes): it belongs to the
 * iperf3 test waiting for UDP streams from the same address. */
static void
accept_iperf3_udp (WsServer       *self,
                   int             kind,
                   gboolean        swapped,
                   const Datagram *d)
{
  WsSessionKey key = { NULL, 0, NULL };
  g_autoptr(WsServerSession) session = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  WsDataConnection data = { NULL, NULL, 0 };
  guint8 reply[4];

  if (!G_IS_INET_SOCKET_ADDRESS (d->from))
    return;
  key.source = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (d->from));
  session = _ws_server_find_session (self, &key);
  if (session == NULL || (socket = connect_stream (self, d, "iperf3 UDP stream")) == NULL)
    return;
  /* The client waits for our reply before its next stream: arrival order. */
  data.socket = socket;
  if (!ws_server_session_attach (session, &data, &error))
    {
      g_info ("iperf3 UDP stream refused: %s", error->message);
      return;
    }
  ws_iperf3_udp_connect_reply (kind, swapped, reply);
  send (g_socket_get_fd (socket), reply, sizeof reply, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Anything but a well-formed STREAM_HELLO or iperf3 "connect" is junk:
 * dropped silently, as answering junk would make us a reflector. */
static void
demux (WsServer              *self,
       const guint8          *buf,
       gssize                 n,
       const struct sockaddr *peer,
       socklen_t              peer_len)
{
  g_autoptr(GSocketAddress) from = NULL;
  Datagram d = { peer, peer_len, NULL };
  WsMessage msg;
  gboolean swapped;
  gboolean hello;
  int kind = 0;

  hello = ws_message_decode (buf, n, &msg, NULL, NULL)
          && msg.version == WS_PROTOCOL_V2 && msg.type == WS_MSG_STREAM_HELLO;
  if (!hello && (kind = ws_iperf3_udp_connect_kind (buf, n, &swapped)) == 0)
    return;
  /* Only now: a flood of junk costs no allocation. */
  d.from = from = g_socket_address_new_from_native ((gpointer) peer, peer_len);
  if (!_ws_server_udp_peer_allowed (self, from))
    return;
  if (hello)
    accept_udp_stream (self, &msg.u.stream_hello, &d);
  else
    accept_iperf3_udp (self, kind, swapped, &d);
}

static gpointer
udp_thread (gpointer data)
{
  WsServer *self = data;
  guint8 buf[2048];

  while (!g_cancellable_is_cancelled (self->cancellable))
    {
      struct pollfd pfd = { self->udp_fd, POLLIN, 0 };
      struct sockaddr_storage peer;
      socklen_t peer_len = sizeof peer;
      ssize_t n;

      if (poll (&pfd, 1, 200) <= 0)
        continue;
      n = recvfrom (self->udp_fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *) &peer, &peer_len);
      if (n > 0)
        demux (self, buf, n, (struct sockaddr *) &peer, peer_len);
    }
  return NULL;
}

gboolean
_ws_server_start_udp (WsServer  *self,
                      GError   **error)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (self->listener, error);

  if (local == NULL)
    return FALSE;
  self->udp_fd = open_udp (local, NULL, 0, error);
  if (self->udp_fd < 0)
    return FALSE;
  self->udp_thread = g_thread_try_new ("ws-udp", udp_thread, self, error);
  return self->udp_thread != NULL;
}
