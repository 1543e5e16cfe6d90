/* ws-stream.c — one data connection of a test, on either side
 *
 * Each stream runs its own thread with blocking I/O on the raw fd: GSocket is
 * non-blocking underneath, and on this path a recv→EAGAIN→poll→recv cycle
 * per call costs throughput we can measure. The byte counter has a single
 * writer (the stream thread) and is read by the sampler, so relaxed atomics
 * are enough and cost nothing on x86.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>

#include "ws-stream.h"
#include "ws-time.h"

/* How often a blocked send or recv comes back to look at the stop flags. */
#define POLL_TIMEOUT_MS 200

struct _WsStream {
  GSocket *socket;
  int fd;
  guint16 id;
  WsStreamRole role;
  gboolean sending;
  guint32 length;
  guint8 *buf;

  GThread *thread;
  _Atomic guint64 bytes;
  atomic_bool stop_sending;
  atomic_bool aborted;

  GMutex lock;
  GCond cond;
  gboolean finished;
};

static void
set_timeouts (int fd)
{
  struct timeval tv = { 0, POLL_TIMEOUT_MS * 1000 };
  int flags = fcntl (fd, F_GETFL);

  fcntl (fd, F_SETFL, flags & ~O_NONBLOCK);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

WsStream *
ws_stream_new (GSocket      *socket,
               guint16       id,
               WsStreamRole  role,
               gboolean      sending,
               guint32       length)
{
  WsStream *stream = g_new0 (WsStream, 1);

  stream->socket = g_object_ref (socket);
  stream->fd = g_socket_get_fd (socket);
  stream->id = id;
  stream->role = role;
  stream->sending = sending;
  stream->length = length;
  /* Test payload is not zeroes so that no link compression flatters us. */
  stream->buf = g_malloc (length);
  for (guint32 i = 0; i < length; i++)
    stream->buf[i] = (guint8) (i * 131 + 7);
  g_mutex_init (&stream->lock);
  g_cond_init (&stream->cond);
  set_timeouts (stream->fd);
  return stream;
}

void
ws_stream_free (WsStream *stream)
{
  if (stream == NULL)
    return;
  if (stream->thread != NULL)
    {
      ws_stream_abort (stream);
      ws_stream_join (stream);
    }
  g_socket_close (stream->socket, NULL);
  g_object_unref (stream->socket);
  g_free (stream->buf);
  g_mutex_clear (&stream->lock);
  g_cond_clear (&stream->cond);
  g_free (stream);
}

static gboolean
transient (int err)
{
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void
send_loop (WsStream *stream)
{
  while (!atomic_load_explicit (&stream->stop_sending, memory_order_relaxed)
         && !atomic_load_explicit (&stream->aborted, memory_order_relaxed))
    {
      ssize_t n = send (stream->fd, stream->buf, stream->length, MSG_NOSIGNAL);

      if (n > 0)
        atomic_fetch_add_explicit (&stream->bytes, n, memory_order_relaxed);
      else if (n < 0 && !transient (errno))
        return;
    }
  /* The peer's receiver reads to end-of-file, so every byte we wrote is
   * counted there before it reports. */
  shutdown (stream->fd, SHUT_WR);
}

static void
receive_loop (WsStream *stream)
{
  while (!atomic_load_explicit (&stream->aborted, memory_order_relaxed))
    {
      ssize_t n = recv (stream->fd, stream->buf, stream->length, 0);

      if (n > 0)
        atomic_fetch_add_explicit (&stream->bytes, n, memory_order_relaxed);
      else if (n == 0 || !transient (errno))
        return;
    }
}

static gpointer
stream_thread (gpointer data)
{
  WsStream *stream = data;

  if (stream->sending)
    send_loop (stream);
  else
    receive_loop (stream);

  g_mutex_lock (&stream->lock);
  stream->finished = TRUE;
  g_cond_broadcast (&stream->cond);
  g_mutex_unlock (&stream->lock);
  return NULL;
}

gboolean
ws_stream_start (WsStream  *stream,
                 GError   **error)
{
  g_autofree char *name = g_strdup_printf ("ws-stream-%u", stream->id);

  g_return_val_if_fail (stream->thread == NULL, FALSE);
  stream->thread = g_thread_try_new (name, stream_thread, stream, error);
  return stream->thread != NULL;
}

void
ws_stream_stop_sending (WsStream *stream)
{
  atomic_store (&stream->stop_sending, TRUE);
}

/* Ends the stream now, whatever it was doing; bytes in flight are lost. */
void
ws_stream_abort (WsStream *stream)
{
  atomic_store (&stream->aborted, TRUE);
  shutdown (stream->fd, SHUT_RDWR);
}

/* Returns: whether the stream thread finished before @deadline_ns. */
gboolean
ws_stream_wait (WsStream *stream,
                gint64    deadline_ns)
{
  gboolean finished;

  g_mutex_lock (&stream->lock);
  while (!stream->finished && stream->thread != NULL)
    {
      gint64 left_us = (deadline_ns - ws_now_ns ()) / 1000;

      if (left_us <= 0
          || !g_cond_wait_until (&stream->cond, &stream->lock,
                                 g_get_monotonic_time () + left_us))
        break;
    }
  finished = stream->finished || stream->thread == NULL;
  g_mutex_unlock (&stream->lock);
  return finished;
}

void
ws_stream_join (WsStream *stream)
{
  if (stream->thread != NULL)
    g_thread_join (g_steal_pointer (&stream->thread));
}

void
ws_stream_read (WsStream         *stream,
                WsStreamCounters *counters)
{
  struct tcp_info info;
  socklen_t len = sizeof info;

  memset (counters, 0, sizeof *counters);
  counters->bytes = atomic_load_explicit (&stream->bytes, memory_order_relaxed);
  if (!stream->sending)
    return;
  memset (&info, 0, sizeof info);
  if (getsockopt (stream->fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0)
    {
      counters->retransmits = info.tcpi_total_retrans;
      counters->snd_cwnd = info.tcpi_snd_cwnd * info.tcpi_snd_mss;
      counters->rtt_us = info.tcpi_rtt;
    }
}

guint16
ws_stream_get_id (WsStream *stream)
{
  return stream->id;
}

WsStreamRole
ws_stream_get_role (WsStream *stream)
{
  return stream->role;
}

gboolean
ws_stream_is_sending (WsStream *stream)
{
  return stream->sending;
}

gboolean
ws_stream_is_finished (WsStream *stream)
{
  gboolean finished;

  g_mutex_lock (&stream->lock);
  finished = stream->finished;
  g_mutex_unlock (&stream->lock);
  return finished;
}
