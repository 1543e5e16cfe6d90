/* ws-tcp-stream.c — TCP_STREAM: write as fast as TCP takes it, count at
 * the receiver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include "ws-address.h"
#include "ws-payload.h"
#include "ws-stream-private.h"

/* The next write: a whole length, or what is left of a fixed size. */
static gsize
next_write (WsStream *stream,
            guint64   sent)
{
  if (stream->params.bytes == 0)
    return stream->params.length;
  return MIN (stream->params.length, stream->params.bytes - sent);
}

/* One write: by reference from the payload memfd where the kernel lets
 * us, else copied from the stream's buffer. A kernel or socket that
 * refuses sendfile() (EINVAL, ENOSYS) makes @payload_fd -1 for the rest
 * of the stream. */
static ssize_t
send_some (WsStream *stream,
           int      *payload_fd,
           off_t    *offset,
           gsize     len)
{
  ssize_t n;

  if (*payload_fd < 0)
    return send (stream->fd, stream->buf, len, MSG_NOSIGNAL);
  if (*offset + len > WS_PAYLOAD_FD_SIZE)
    *offset = 0;
  n = sendfile (stream->fd, *payload_fd, offset, MIN (len, WS_PAYLOAD_FD_SIZE));
  if (n < 0 && (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
    {
      *payload_fd = -1;
      errno = EAGAIN;
    }
  return n;
}

/* On loopback the receiver copies every byte out of the sender's pages
 * whichever way they were sent, and sendfile() only adds the splice
 * behind it: measured at 0.7-0.9x the copying sender's rate here
 * (docs/PERFORMANCE.md). By reference pays where a NIC reads the pages. */
static gboolean
peer_is_loopback (int fd)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GInetAddress) host = NULL;

  if (getpeername (fd, (struct sockaddr *) &ss, &len) < 0)
    return FALSE;
  address = g_socket_address_new_from_native (&ss, len);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;
  host = ws_address_unmap (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  return g_inet_address_get_is_loopback (host);
}

void
ws_tcp_send_loop (WsStream *stream)
{
  int payload_fd = stream->params.no_zerocopy || peer_is_loopback (stream->fd) ? -1 : ws_payload_fd ();
  guint64 sent = 0;
  off_t offset = 0;
  gsize len;
  sigset_t pipe;

  /* sendfile() has no MSG_NOSIGNAL: a peer gone mid-test must be an
   * EPIPE here, not a signal that ends a process which did not ignore it
   * (the tests, an app embedding the engine). The signal is directed at
   * this thread, so it stays pending here and is never delivered. */
  sigemptyset (&pipe);
  sigaddset (&pipe, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe, NULL);

  while (!ws_stream_should_stop (stream) && (len = next_write (stream, sent)) > 0)
    {
      ssize_t n = send_some (stream, &payload_fd, &offset, len);

      if (n > 0)
        {
          sent += n;
          ws_stream_count (stream, n, 0);
        }
      else if (n < 0 && !ws_errno_is_transient (errno))
        return;
    }
  /* The peer's receiver reads to end-of-file, so every byte we wrote is
   * counted there before it reports. */
  shutdown (stream->fd, SHUT_WR);
}

void
ws_tcp_receive_loop (WsStream *stream)
{
  while (!ws_stream_aborted (stream))
    {
      ssize_t n = recv (stream->fd, stream->buf, stream->buf_size, 0);

      if (n > 0)
        ws_stream_count (stream, n, 0);
      else if (n == 0 || !ws_errno_is_transient (errno))
        return;
    }
}
