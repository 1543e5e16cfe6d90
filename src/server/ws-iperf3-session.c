/* ws-iperf3-session.c — one iperf3 client's test, on the server side
 *
 * The connection thread that read the client's cookie runs the whole test:
 * parameters, stream set-up, the run, the results exchange. Data
 * connections arrive on the same port (TCP: identified by the cookie; UDP:
 * a four-byte "connect" datagram from the control connection's address)
 * and the server hands them here. Each data stream has a thread of its own
 * with blocking I/O on the raw fd and a 200 ms timeout, as WsStream does;
 * the loops are our own because iperf3's UDP header and accounting differ
 * from ours. Counters are relaxed atomics with one writer; everything else
 * a stream keeps is read only after its thread is joined.
 *
 * Every text here stays English: errors go to the server's log, and the
 * server output goes to an iperf3 client whose language we cannot know.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "ws-io.h"
#include "ws-iperf3-session.h"
#include "ws-iperf3-stream.h"
#include "ws-time.h"

/* A test may run this long past its agreed duration without TEST_END. */
#define GRACE_S 10
#define TICK_NS (100 * G_GINT64_CONSTANT (1000000))

typedef WsIperf3Stream Stream;

struct _WsIperf3Session {
  GObject parent_instance;

  GSocket *control;
  char *peer;
  char *peer_ip;       /* without a v4-mapped prefix, to match UDP sources */
  guint8 cookie[WS_IPERF3_COOKIE_SIZE];
  guint idle_timeout_s;
  GCancellable *cancellable;
  WsIperf3Params params;

  GMutex lock;
  GCond cond;
  GPtrArray *streams;  /* Stream *, in arrival order */
  gboolean accepting;  /* between CREATE_STREAMS and the last stream */
  gboolean aborted;

  atomic_bool stop;
  _Atomic guint64 total_sent;  /* for -n with us as the sender */
  WsSessionTotals totals;
};

static void ws_iperf3_session_server_session_init (WsServerSessionInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsIperf3Session, ws_iperf3_session, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_SERVER_SESSION,
                                                      ws_iperf3_session_server_session_init))

static char *
plain_ip (GInetAddress *address)
{
  g_autofree char *ip = g_inet_address_to_string (address);

  if (g_str_has_prefix (ip, "::ffff:") && strchr (ip, '.') != NULL)
    return g_strdup (ip + 7);
  return g_steal_pointer (&ip);
}

static void
ws_iperf3_session_finalize (GObject *object)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (object);

  /* Stream threads are joined by run(); a session that never ran has none. */
  g_ptr_array_unref (self->streams);
  g_object_unref (self->control);
  g_object_unref (self->cancellable);
  ws_iperf3_params_clear (&self->params);
  g_free (self->peer);
  g_free (self->peer_ip);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (ws_iperf3_session_parent_class)->finalize (object);
}

static void
ws_iperf3_session_class_init (WsIperf3SessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_iperf3_session_finalize;
}

static void
ws_iperf3_session_init (WsIperf3Session *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_iperf3_stream_free);
}

/* @cancellable is the connection's, which the server's stop cancels. */
WsIperf3Session *
ws_iperf3_session_new (GSocket      *control,
                       const char   *peer,
                       const guint8 *cookie,
                       guint         idle_timeout_s,
                       GCancellable *cancellable)
{
  WsIperf3Session *self = g_object_new (WS_TYPE_IPERF3_SESSION, NULL);
  g_autoptr(GSocketAddress) sa = g_socket_get_remote_address (control, NULL);

  self->control = g_object_ref (control);
  self->peer = g_strdup (peer);
  if (G_IS_INET_SOCKET_ADDRESS (sa))
    self->peer_ip = plain_ip (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
  memcpy (self->cookie, cookie, WS_IPERF3_COOKIE_SIZE);
  self->idle_timeout_s = idle_timeout_s;
  self->cancellable = g_object_ref (cancellable);
  return self;
}

static void
ws_iperf3_session_get_totals (WsServerSession *session,
                              WsSessionTotals *totals)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (session);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  *totals = self->totals;
}

static void
ws_iperf3_session_abort (WsServerSession *session)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (session);

  g_mutex_lock (&self->lock);
  self->aborted = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  atomic_store (&self->stop, TRUE);
  g_cancellable_cancel (self->cancellable);
}

static gboolean
send_state (WsIperf3Session  *self,
            int               state,
            GError          **error)
{
  guint8 byte = (guint8) (gint8) state;

  return ws_io_write_all (self->control, &byte, 1,
                          ws_now_ns () + self->idle_timeout_s * WS_NSEC_PER_SEC,
                          self->cancellable, error);
}

/* SERVER_ERROR is followed by iperf3's error number and an errno; ACCESS_DENIED
 * by nothing. Best effort: the connection closes after it either way. */
void
ws_iperf3_refuse (GSocket *control,
                  int      state,
                  int      ie_errno)
{
  guint8 buf[9];
  gsize n = 1;

  buf[0] = (guint8) (gint8) state;
  if (state == WS_IPERF3_SERVER_ERROR)
    {
      /* The errno after it is Linux's EOPNOTSUPP, which the client prints
       * after its own text for some errors. */
      guint32 ie = GUINT32_TO_BE ((guint32) ie_errno);
      guint32 err = GUINT32_TO_BE (ie_errno == 0 ? 0 : EOPNOTSUPP);

      memcpy (buf + 1, &ie, 4);
      memcpy (buf + 5, &err, 4);
      n = 9;
    }
  ws_io_write_all (control, buf, n, ws_now_ns () + WS_NSEC_PER_SEC, NULL, NULL);
}

static char *
read_json (WsIperf3Session  *self,
           gsize            *len,
           GError          **error)
{
  return ws_iperf3_read_json (self->control, ws_now_ns () + self->idle_timeout_s * WS_NSEC_PER_SEC,
                              self->cancellable, len, error);
}

static gboolean
write_json (WsIperf3Session  *self,
            const char       *json,
            GError          **error)
{
  return ws_iperf3_write_json (self->control, json, ws_now_ns () + self->idle_timeout_s * WS_NSEC_PER_SEC,
                               self->cancellable, error);
}

/* PARAM_EXCHANGE: reads and checks the client's parameters. On a refusal
 * the client has been told why (SERVER_ERROR and an iperf3 error number). */
static gboolean
ws_iperf3_session_negotiate (WsServerSession  *session,
                             GError          **error)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (session);
  g_autofree char *json = NULL;
  gsize len = 0;
  int ie = 0;

  if (!send_state (self, WS_IPERF3_PARAM_EXCHANGE, error))
    return FALSE;
  json = read_json (self, &len, error);
  if (json == NULL)
    {
      g_prefix_error (error, "reading parameters: ");
      return FALSE;
    }
  if (!ws_iperf3_parse_params (json, len, &self->params, &ie, error))
    {
      ws_iperf3_refuse (self->control, WS_IPERF3_SERVER_ERROR, ie);
      g_prefix_error (error, "iperf3 parameters refused: ");
      return FALSE;
    }
  return TRUE;
}

/* A TCP data connection by its cookie; a UDP stream, which says only
 * "connect", by coming from the control connection's host while the test
 * waits for UDP streams. */
static gboolean
ws_iperf3_session_match (WsServerSession    *session,
                         const WsSessionKey *key)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (session);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autofree char *ip = NULL;

  if (key->cookie != NULL
      && (key->cookie_size != WS_IPERF3_COOKIE_SIZE
          || memcmp (key->cookie, self->cookie, WS_IPERF3_COOKIE_SIZE) != 0))
    return FALSE;
  if (key->source == NULL)
    return key->cookie != NULL;
  if (!self->accepting || !self->params.udp || self->peer_ip == NULL)
    return FALSE;
  ip = plain_ip (key->source);
  return g_strcmp0 (ip, self->peer_ip) == 0;
}

/* A data connection for this session, in the order iperf3 makes them:
 * with --bidir, the client's sending streams come first. */
static gboolean
ws_iperf3_session_attach (WsServerSession         *session,
                          const WsDataConnection  *data,
                          GError                 **error)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (session);
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  gboolean udp = g_socket_get_socket_type (data->socket) == G_SOCKET_TYPE_DATAGRAM;
  guint n = ws_iperf3_n_streams (&self->params);
  Stream *s;

  if (!self->accepting || self->streams->len >= n || udp != self->params.udp)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "this iperf3 test expects no more data connections");
      return FALSE;
    }
  s = ws_iperf3_stream_new (data->socket, udp, data->seq);
  g_ptr_array_add (self->streams, s);
  if (self->streams->len == n)
    self->accepting = FALSE;
  g_cond_broadcast (&self->cond);
  return TRUE;
}

static gint
by_seq (gconstpointer a,
        gconstpointer b)
{
  const Stream *sa = *(Stream * const *) a, *sb = *(Stream * const *) b;

  return sa->seq < sb->seq ? -1 : sa->seq > sb->seq;
}

/* Roles and ids go by the order the client opened its connections (with
 * --bidir, its sending streams first), which is the order we accepted
 * them in, not the order their threads happened to hand them over. */
static void
assign_streams (WsIperf3Session *self)
{
  g_ptr_array_sort (self->streams, by_seq);
  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *s = g_ptr_array_index (self->streams, i);

      ws_iperf3_stream_setup (s, ws_iperf3_stream_id (i),
                              self->params.reverse
                              || (self->params.bidirectional && i >= self->params.parallel),
                              &self->params, &self->stop, &self->total_sent);
    }
}


static guint64
sum_bytes (WsIperf3Session *self)
{
  guint64 sum = 0;

  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *s = g_ptr_array_index (self->streams, i);
      sum += atomic_load_explicit (&s->bytes, memory_order_relaxed);
    }
  return sum;
}

/* Waits for every data connection; watches the control connection, which
 * closes (or says CLIENT_TERMINATE) if the client gives up. */
static gboolean
wait_for_streams (WsIperf3Session  *self,
                  GError          **error)
{
  gint64 deadline = ws_now_ns () + self->idle_timeout_s * WS_NSEC_PER_SEC;
  guint n = ws_iperf3_n_streams (&self->params);

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      guint have;

      g_mutex_lock (&self->lock);
      have = self->streams->len;
      g_mutex_unlock (&self->lock);
      if (have == n)
        return TRUE;
      if (ws_now_ns () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "only %u of %u data connections arrived", have, n);
          return FALSE;
        }
      if (ws_io_wait_readable (self->control, ws_now_ns () + TICK_NS, self->cancellable, &local_error))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                               "the client gave up before its data connections were made");
          return FALSE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}

static void
take_omit_base (WsIperf3Session *self)
{
  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *s = g_ptr_array_index (self->streams, i);

      s->base_bytes = atomic_load (&s->bytes);
      s->base_packets = s->sender ? atomic_load (&s->packets) : atomic_load (&s->packets);
      s->base_errors = atomic_load (&s->errors);
    }
}

/* Runs until TEST_END; FALSE with @error when the client goes away, the
 * test overruns its time, or nothing moves for the idle timeout. */
static gboolean
run_test (WsIperf3Session  *self,
          gint64            start_ns,
          gint64           *omit_end_ns,
          GError          **error)
{
  const WsIperf3Params *p = &self->params;
  gint64 idle_ns = self->idle_timeout_s * WS_NSEC_PER_SEC;
  gint64 hard_end = p->time_s > 0
                    ? start_ns + (gint64) (p->omit_s + p->time_s + GRACE_S) * WS_NSEC_PER_SEC
                    : G_MAXINT64;
  gint64 last_activity = start_ns;
  guint64 last_bytes = 0;
  gboolean omitting = p->omit_s > 0;

  *omit_end_ns = start_ns + (gint64) p->omit_s * WS_NSEC_PER_SEC;
  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gint64 now = ws_now_ns ();
      guint64 bytes = sum_bytes (self);
      guint8 state;

      if (omitting && now >= *omit_end_ns)
        {
          take_omit_base (self);
          omitting = FALSE;
        }
      if (bytes != last_bytes)
        {
          last_bytes = bytes;
          last_activity = now;
        }
      if (now > hard_end)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "no TEST_END after the test's time");
          return FALSE;
        }
      if (now - last_activity > idle_ns)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "idle for %u s", self->idle_timeout_s);
          return FALSE;
        }
      /* While omitting, wake at the omit's end: counting from a later tick
       * would leave out what arrived in between, which the client counts. */
      if (!ws_io_wait_readable (self->control, omitting ? MIN (now + TICK_NS, *omit_end_ns) : now + TICK_NS,
                                self->cancellable, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!ws_io_read_exact (self->control, &state, 1, now + idle_ns, self->cancellable, error))
        return FALSE;
      last_activity = ws_now_ns ();
      if (state == WS_IPERF3_TEST_END)
        return TRUE;
      if ((gint8) state == WS_IPERF3_CLIENT_TERMINATE)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "the client ended the test");
          return FALSE;
        }
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "unexpected iperf3 state %d", (gint8) state);
      return FALSE;
    }
}

static gdouble
cpu_seconds (gboolean user)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return user ? ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6
              : ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static guint32
tcp_retransmits (Stream *s)
{
  struct tcp_info info;
  socklen_t len = sizeof info;

  if (s->udp || getsockopt (s->fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
    return 0;
  return info.tcpi_total_retrans;
}

static WsIperf3Results *
build_results (WsIperf3Session *self,
               gdouble          seconds,
               gdouble          cpu_user,
               gdouble          cpu_system)
{
  WsIperf3Results *r = ws_iperf3_results_new ();
  const WsIperf3Params *p = &self->params;
  gboolean any_sender = FALSE;
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, self->streams->len == 1
                                ? "Wirespeed server (iperf3 protocol), %s, %u stream, %.2f s\n"
                                : "Wirespeed server (iperf3 protocol), %s, %u streams, %.2f s\n",
                          p->udp ? "UDP" : "TCP", self->streams->len, seconds);
  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *s = g_ptr_array_index (self->streams, i);
      WsIperf3StreamResult sr = { 0 };

      sr.id = s->id;
      sr.bytes = s->bytes - s->base_bytes;
      sr.retransmits = (s->sender && !s->udp) ? (gint64) tcp_retransmits (s) : -1;
      sr.start_time = 0;
      sr.end_time = seconds;
      if (s->udp && !s->sender)
        {
          sr.jitter_s = s->rx.jitter_s;
          sr.packets = s->rx.packet_count - s->base_packets;
          sr.errors = s->rx.errors >= s->base_errors ? s->rx.errors - s->base_errors : 0;
        }
      else if (s->udp)
        sr.packets = s->packets - s->base_packets;
      any_sender |= s->sender;
      g_array_append_val (r->streams, sr);
      g_string_append_printf (text, "[%3u] %s %" G_GUINT64_FORMAT " bytes, %.3f Mbit/s",
                              sr.id, s->sender ? "sent" : "received", sr.bytes,
                              seconds > 0 ? sr.bytes * 8 / seconds / 1e6 : 0.0);
      if (s->udp && !s->sender)
        g_string_append_printf (text, ", %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
                                " lost, jitter %.3f ms", sr.errors, sr.packets, sr.jitter_s * 1e3);
      g_string_append_c (text, '\n');
    }
  r->cpu_user = cpu_user;
  r->cpu_system = cpu_system;
  r->cpu_total = cpu_user + cpu_system;
  /* iperf3 says -1 when this end only received. */
  r->sender_has_retransmits = !any_sender ? -1 : p->udp ? 0 : 1;
  if (p->get_server_output)
    r->server_output_text = g_string_free (g_steal_pointer (&text), FALSE);
  else
    g_string_free (text, TRUE);
  return r;
}

static void
stop_streams (WsIperf3Session *self)
{
  atomic_store (&self->stop, TRUE);
  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *s = g_ptr_array_index (self->streams, i);

      ws_iperf3_stream_join (s);
      /* As iperf3's server does at TEST_END: a client still in a blocking
       * read on a data stream sees end-of-file and gets to its control
       * connection. */
      shutdown (s->fd, SHUT_RDWR);
    }
}

/* The test's clock: wall time, and the process's CPU time at the start. */
typedef struct {
  gint64 start_ns, omit_end_ns, end_ns;
  gdouble user0, system0;
} Clock;

/* TEST_START and TEST_RUNNING, then the senders. */
static gboolean
start_test (WsIperf3Session  *self,
            Clock            *clock,
            GError          **error)
{
  clock->user0 = cpu_seconds (TRUE);
  clock->system0 = cpu_seconds (FALSE);
  clock->start_ns = ws_now_ns ();
  if (!send_state (self, WS_IPERF3_TEST_START, error)
      || !send_state (self, WS_IPERF3_TEST_RUNNING, error))
    return FALSE;
  /* Senders start only now: datagrams sent before the client has seen
   * TEST_RUNNING wait in its small default socket buffer (a few 32 KiB
   * datagrams on loopback) and may be lost there. */
  for (guint i = 0; i < self->streams->len; i++)
    {
      Stream *s = g_ptr_array_index (self->streams, i);
      if (!ws_iperf3_stream_start (s, error))
        return FALSE;
    }
  return TRUE;
}

/* Our results, once the streams are joined; the totals for the server. */
static WsIperf3Results *
measure (WsIperf3Session *self,
         const Clock     *clock)
{
  gint64 counted_from = MIN (MAX (clock->start_ns, clock->omit_end_ns), clock->end_ns);
  gdouble wall = MAX ((clock->end_ns - clock->start_ns) / 1e9, 1e-3);
  WsIperf3Results *results;

  results = build_results (self, (clock->end_ns - counted_from) / 1e9,
                           100.0 * (cpu_seconds (TRUE) - clock->user0) / wall,
                           100.0 * (cpu_seconds (FALSE) - clock->system0) / wall);
  g_mutex_lock (&self->lock);
  for (guint i = 0; i < results->streams->len; i++)
    {
      Stream *s = g_ptr_array_index (self->streams, i);
      if (s->sender)
        self->totals.bytes_sent += s->bytes;
      else
        self->totals.bytes_received += s->bytes;
    }
  g_mutex_unlock (&self->lock);
  return results;
}

/* EXCHANGE_RESULTS to IPERF_DONE; *step says where it failed. */
static gboolean
exchange_results (WsIperf3Session        *self,
                  const WsIperf3Results  *results,
                  const char            **step,
                  GError                **error)
{
  g_autoptr(WsIperf3Results) theirs = NULL;
  g_autofree char *json = NULL;
  g_autofree char *our_json = NULL;
  gsize len = 0;
  guint8 state;

  *step = "reading the client's results";
  if (!send_state (self, WS_IPERF3_EXCHANGE_RESULTS, error)
      || (json = read_json (self, &len, error)) == NULL)
    return FALSE;
  /* Their results only matter to them; still, junk is worth a log line. */
  theirs = ws_iperf3_results_parse (json, len, NULL);
  if (theirs == NULL)
    g_info ("%s: iperf3 client sent results we cannot read", self->peer);
  our_json = ws_iperf3_results_build (results);
  *step = "sending results";
  if (!write_json (self, our_json, error)
      || !send_state (self, WS_IPERF3_DISPLAY_RESULTS, error))
    return FALSE;
  /* IPERF_DONE, or the client just closing, both end the test well. */
  if (ws_io_read_exact (self->control, &state, 1,
                        ws_now_ns () + self->idle_timeout_s * WS_NSEC_PER_SEC,
                        self->cancellable, NULL)
      && state != WS_IPERF3_IPERF_DONE)
    g_info ("%s: iperf3 client ended with state %d", self->peer, (gint8) state);
  return TRUE;
}

static gboolean
fail (WsIperf3Session  *self,
      const char       *step,
      GError          **error)
{
  g_prefix_error (error, "%s: ", step);
  g_mutex_lock (&self->lock);
  self->accepting = FALSE;
  g_mutex_unlock (&self->lock);
  stop_streams (self);
  /* Tells a client that is still there to stop rather than wait. */
  ws_iperf3_refuse (self->control, WS_IPERF3_SERVER_TERMINATE, 0);
  return FALSE;
}

/* From CREATE_STREAMS to IPERF_DONE. The caller has made the session
 * findable by its cookie (and, for UDP, its address) before calling this. */
static gboolean
ws_iperf3_session_run (WsServerSession  *session,
                       GError          **error)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (session);
  g_autoptr(WsIperf3Results) results = NULL;
  const char *step = "creating streams";
  Clock clock = { 0 };
  gboolean ok;

  g_mutex_lock (&self->lock);
  self->accepting = !self->aborted;
  g_mutex_unlock (&self->lock);
  if (!send_state (self, WS_IPERF3_CREATE_STREAMS, error)
      || !wait_for_streams (self, error))
    return fail (self, step, error);
  assign_streams (self);

  step = "starting";
  if (!start_test (self, &clock, error))
    return fail (self, step, error);
  step = "running";
  ok = run_test (self, clock.start_ns, &clock.omit_end_ns, error);
  clock.end_ns = ws_now_ns ();
  stop_streams (self);
  if (!ok)
    return fail (self, step, error);

  results = measure (self, &clock);
  if (!exchange_results (self, results, &step, error))
    return fail (self, step, error);
  return TRUE;
}

static void
ws_iperf3_session_refuse (WsServerSession *session,
                          WsClaim          claim,
                          guint            limit)
{
  WsIperf3Session *self = WS_IPERF3_SESSION (session);

  ws_iperf3_refuse (self->control, WS_IPERF3_ACCESS_DENIED, 0);
  g_info ("%s: iperf3 client refused: busy", self->peer);
}

static char *
ws_iperf3_session_describe_outcome (WsServerSession *session,
                                    const GError    *error)
{
  if (error != NULL)
    return g_strdup_printf ("iperf3 test aborted: %s", error->message);
  return g_strdup ("iperf3 test finished");
}

static void
ws_iperf3_session_server_session_init (WsServerSessionInterface *iface)
{
  iface->negotiate = ws_iperf3_session_negotiate;
  iface->run = ws_iperf3_session_run;
  iface->attach = ws_iperf3_session_attach;
  iface->abort = ws_iperf3_session_abort;
  iface->match = ws_iperf3_session_match;
  iface->get_totals = ws_iperf3_session_get_totals;
  iface->refuse = ws_iperf3_session_refuse;
  iface->describe_outcome = ws_iperf3_session_describe_outcome;
}
