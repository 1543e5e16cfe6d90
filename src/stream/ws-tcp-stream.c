/* ws-tcp-stream.c — TCP_STREAM: write as fast as TCP takes it, count at
 * the receiver
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

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

void
ws_tcp_send_loop (WsStream *stream)
{
  guint64 sent = 0;
  gsize len;

  while (!ws_stream_should_stop (stream) && (len = next_write (stream, sent)) > 0)
    {
      ssize_t n = send (stream->fd, stream->buf, len, MSG_NOSIGNAL);

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
