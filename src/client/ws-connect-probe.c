/* ws-connect-probe.c — loaded latency from TCP connect times
 *
 * A peer with no request/response of its own (an iperf3 server) still
 * completes TCP handshakes while it runs a test: its kernel answers the SYN
 * before iperf3 says "busy" and closes. A connect() returns when the
 * SYN-ACK is back, so its duration is one round trip through whatever queue
 * the load has built, in the direction a download fills. The probe knocks a
 * few times a second from its own thread; the caller reads it once per
 * interval and once at the end.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-connect-probe.h"
#include "ws-time.h"

/* A probe that takes longer than this is lost in the queue, not a figure. */
#define CONNECT_TIMEOUT_S 3

struct _WsConnectProbe {
  GSocketAddress *remote;
  gint64 interval_ns;
  GThread *thread;

  GMutex lock;
  GCond wake;
  gboolean stop;
  WsHistogram *interval;   /* since the caller last looked */
  WsHistogram *total;
};

static gboolean
knock (WsConnectProbe *self,
       guint64        *rtt_ns)
{
  g_autoptr(GSocket) s = g_socket_new (g_socket_address_get_family (self->remote),
                                       G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  gint64 t0;

  if (s == NULL)
    return FALSE;
  g_socket_set_timeout (s, CONNECT_TIMEOUT_S);
  t0 = ws_now_ns ();
  if (!g_socket_connect (s, self->remote, NULL, NULL))
    return FALSE;
  *rtt_ns = ws_now_ns () - t0;
  return TRUE;
}

static gpointer
probe_thread (gpointer data)
{
  WsConnectProbe *self = data;
  gint64 next = ws_now_ns ();

  g_mutex_lock (&self->lock);
  while (!self->stop)
    {
      guint64 rtt_ns;
      gboolean ok;

      g_mutex_unlock (&self->lock);
      ok = knock (self, &rtt_ns);
      g_mutex_lock (&self->lock);
      if (ok && !self->stop)
        {
          ws_histogram_record (self->interval, rtt_ns);
          ws_histogram_record (self->total, rtt_ns);
        }
      next += self->interval_ns;
      while (!self->stop && ws_now_ns () < next)
        g_cond_wait_until (&self->wake, &self->lock,
                           g_get_monotonic_time () + (next - ws_now_ns ()) / 1000 + 1);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

WsConnectProbe *
ws_connect_probe_start (GSocketAddress *remote,
                        gint64          interval_ns)
{
  WsConnectProbe *self = g_new0 (WsConnectProbe, 1);

  self->remote = g_object_ref (remote);
  self->interval_ns = interval_ns;
  self->interval = ws_histogram_new ();
  self->total = ws_histogram_new ();
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
  self->thread = g_thread_new ("ws-connect-probe", probe_thread, self);
  return self;
}

/* The round trips since the last call; resets the interval. */
void
ws_connect_probe_take_interval (WsConnectProbe *self,
                                WsLatency      *latency)
{
  g_mutex_lock (&self->lock);
  ws_latency_from_histogram (latency, self->interval);
  ws_histogram_reset (self->interval);
  g_mutex_unlock (&self->lock);
}

/* Ends the probe before the test does: no knock may reach the peer after
 * it has ended its test, where it would look like the next client. A knock
 * under way finishes first (at most CONNECT_TIMEOUT_S). */
void
ws_connect_probe_stop (WsConnectProbe *self,
                       WsHistogram    *total)
{
  if (self->thread != NULL)
    {
      g_mutex_lock (&self->lock);
      self->stop = TRUE;
      g_cond_signal (&self->wake);
      g_mutex_unlock (&self->lock);
      g_thread_join (g_steal_pointer (&self->thread));
    }
  if (total != NULL)
    ws_histogram_merge (total, self->total);
}

void
ws_connect_probe_free (WsConnectProbe *self)
{
  if (self == NULL)
    return;
  ws_connect_probe_stop (self, NULL);
  g_object_unref (self->remote);
  ws_histogram_free (self->interval);
  ws_histogram_free (self->total);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);
  g_free (self);
}
