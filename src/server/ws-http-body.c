/* ws-http-body.c — the bytes of every download, and their fast path
 *
 * Every generated body is a view of one pseudo-random pattern (the
 * stream layer's payload): position o holds pattern[o % WS_HTTP_PATTERN_SIZE],
 * so that ranges of one URL join up. libsoup writes it from memory, one copy per byte more than a
 * web server that sends a file with sendfile(); on loopback that copy is
 * a third of the cost (docs/PERFORMANCE.md). So a plaintext download
 * that is not paced takes the fast path: once libsoup has written the
 * headers, the body goes from a memfd holding the pattern straight to
 * the socket with sendfile(), and libsoup is given an empty body to
 * finish the response with (it does not count what it did not write).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "ws-http-private.h"
#include "ws-payload.h"
#include "ws-time.h"

/* How often a blocked write looks at the cancellable and its limits. */
#define POLL_MS 100

/* The pattern is the stream layer's payload (ws-payload.c): one memfd
 * and one copy in memory for the whole process, whichever protocol sends. */
const guint8 *
_ws_http_pattern (void)
{
  return ws_payload_bytes ();
}

static int
pattern_fd (void)
{
  return ws_payload_fd ();
}

gboolean
_ws_http_fast_path_available (void)
{
  return pattern_fd () >= 0;
}

/* Waits for room in the socket; FALSE when the transfer must end. */
static gboolean
wait_writable (int                      fd,
               const WsHttpBodyLimits  *limits,
               gint64                  *last_progress_ns,
               GError                 **error)
{
  GPollFD cancel = { -1, 0, 0 };
  struct pollfd fds[2] = { { fd, POLLOUT, 0 }, { -1, POLLIN, 0 } };
  gboolean cancellable = limits->cancellable != NULL
                         && g_cancellable_make_pollfd (limits->cancellable, &cancel);
  gboolean ok = TRUE;
  int r;

  fds[1].fd = cancellable ? cancel.fd : -1;
  r = poll (fds, 2, POLL_MS);
  if (cancellable)
    g_cancellable_release_fd (limits->cancellable);
  if (g_cancellable_set_error_if_cancelled (limits->cancellable, error))
    return FALSE;
  if (r < 0 && errno != EINTR)
    ok = FALSE;
  else if (r > 0 && (fds[0].revents & (POLLERR | POLLHUP)))
    ok = FALSE;
  if (!ok)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "the client is gone");
      return FALSE;
    }
  if (limits->deadline_ns != 0 && ws_now_ns () > limits->deadline_ns)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "maximum duration");
      return FALSE;
    }
  if (ws_now_ns () - *last_progress_ns > limits->idle_ns)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "idle timeout");
      return FALSE;
    }
  return TRUE;
}

/**
 * _ws_http_send_pattern:
 * @fd: the connection's socket, non-blocking
 * @sent: (out): bytes written, also on failure
 *
 * Writes @length bytes of the pattern from position @offset, blocking
 * this thread (the connection's own) until they are written, the client
 * stops reading for the idle timeout, the deadline passes or the
 * cancellable is cancelled.
 */
gboolean
_ws_http_send_pattern (int                      fd,
                       guint64                  offset,
                       guint64                  length,
                       const WsHttpBodyLimits  *limits,
                       guint64                 *sent,
                       GError                 **error)
{
  int src = pattern_fd ();
  gint64 last_progress = ws_now_ns ();

  *sent = 0;
  while (*sent < length)
    {
      off_t at = (offset + *sent) % WS_HTTP_PATTERN_SIZE;
      gsize n = MIN (length - *sent, WS_HTTP_PATTERN_SIZE - (guint64) at);
      ssize_t r = sendfile (fd, src, &at, n);

      if (r > 0)
        {
          *sent += r;
          last_progress = ws_now_ns ();
          if (limits->deadline_ns != 0 && last_progress > limits->deadline_ns)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "maximum duration");
              return FALSE;
            }
          continue;
        }
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        {
          if (!wait_writable (fd, limits, &last_progress, error))
            return FALSE;
          continue;
        }
      g_set_error (error, G_IO_ERROR, r == 0 ? G_IO_ERROR_FAILED : g_io_error_from_errno (errno),
                   "%s", r == 0 ? "sendfile wrote nothing" : g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}
