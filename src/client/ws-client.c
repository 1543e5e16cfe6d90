/* ws-client.c — runs one test against a Wirespeed server
 *
 * The test runs in a GTask worker thread that owns the control connection
 * and the test clock; each data stream has a thread of its own (ws-stream.c).
 * Every interval the worker combines its own view of the streams with the
 * server's INTERVAL reports into a WsSample and hands it to the caller's main
 * context through one coalesced idle callback.
 *
 * Cancelling the GCancellable before the test starts fails the run with
 * G_IO_ERROR_CANCELLED; cancelling during the test stops it early and the
 * result, marked interrupted, holds everything measured until then.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "ws-address.h"
#include "ws-client-address.h"
#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-client.h"
#include "ws-error.h"
#include "ws-iperf3.h"
#include "ws-iperf3-client.h"
#include "ws-io.h"
#include "ws-sampler.h"
#include "ws-stream.h"
#include "ws-time.h"

#define HANDSHAKE_TIMEOUT_NS (10 * WS_NSEC_PER_SEC)
#define KEEPALIVE_NS (5 * WS_NSEC_PER_SEC)
#define FINISH_TIMEOUT_NS (15 * WS_NSEC_PER_SEC)
#define CONNECT_TIMEOUT_S 10
#define UDP_HELLO_ATTEMPTS 10
#define UDP_HELLO_WAIT_NS (300 * WS_NSEC_PER_MSEC)
/* How long a server may stay silent after HELLO before the client asks
 * whether it is iperf3: at least this, at most SNIFF_QUIET_MAX_NS, four
 * connect times in between (a Wirespeed server answers within one RTT). */
#define SNIFF_QUIET_NS (1 * WS_NSEC_PER_SEC)
#define SNIFF_QUIET_MAX_NS (3 * WS_NSEC_PER_SEC)

/* What the first connection of a test learnt about the peer; never leaves
 * this file. */
#define PEER_ERROR (peer_error_quark ())
static G_DEFINE_QUARK (ws-client-peer-error-quark, peer_error)
enum {
  PEER_IS_IPERF3,    /* an iperf3 server: run the test in its protocol */
  PEER_SPOILT,       /* a slow Wirespeed server: the padding spoilt the
                      * connection, start again without sniffing */
};

struct _WsClient {
  GObject parent_instance;

  GMainContext *context;
  GMutex lock;
  GQueue pending_samples; /* WsSample*, worker → main context */
  guint idle_id;
};

G_DEFINE_FINAL_TYPE (WsClient, ws_client, G_TYPE_OBJECT)

enum {
  SIGNAL_SAMPLE,
  SIGNAL_NOTICE,
  SIGNAL_PEER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Everything about one test run; lives in the worker thread only. */
typedef struct {
  WsClient *client;
  WsTestConfig config;
  WsTestRequest request;
  guint32 flags;        /* TEST_REQUEST flags, e.g. the latency probe */
  GCancellable *stop;
  gboolean post;        /* hand samples to the caller as they come */
  gboolean *sniff;      /* the job's: nobody has answered like a Wirespeed
                         * server yet, so this run checks for iperf3 */
  gboolean *peer_told;  /* the job's: "peer" has been emitted */
  gint64 connect_ns;
  guint index_offset;   /* where this session's samples go in a longer test */
  gdouble time_offset;

  GSocketConnection *connection;
  GSocket *control;     /* the control connection's socket… */
  WsChannel *channel;   /* …and the channel over it, maybe TLS */
  GSocketAddress *remote;
  gboolean grant;       /* the server sends TEST_GRANT after TEST_ACCEPT */
  WsTestAccept accept;
  guint64 server_sent;  /* fixed size: payload the server's senders reported */

  WsStream **streams;
  guint n_streams;
  WsSampler *sampler;

  gint64 start_ns;
  gint64 interval_start_ns;
  gint64 stop_ns;

  WsResult *result;
} Run;

static void
run_free (Run *run)
{
  for (guint i = 0; i < run->n_streams; i++)
    g_clear_pointer (&run->streams[i], ws_stream_free);
  g_free (run->streams);
  g_clear_pointer (&run->sampler, ws_sampler_free);
  g_clear_pointer (&run->result, ws_result_unref);
  g_clear_object (&run->remote);
  g_clear_object (&run->channel);
  if (run->connection)
    g_io_stream_close (G_IO_STREAM (run->connection), NULL, NULL);
  g_clear_object (&run->connection);
  g_clear_object (&run->stop);
  ws_test_config_clear (&run->config);
  g_object_unref (run->client);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

/* ---- Delivering samples to the caller's main context ---- */

static gboolean
deliver_samples (gpointer data)
{
  WsClient *self = data;
  GQueue samples = G_QUEUE_INIT;
  WsSample *sample;

  g_mutex_lock (&self->lock);
  samples = self->pending_samples;
  g_queue_init (&self->pending_samples);
  self->idle_id = 0;
  g_mutex_unlock (&self->lock);

  while ((sample = g_queue_pop_head (&samples)))
    {
      g_signal_emit (self, signals[SIGNAL_SAMPLE], 0, sample);
      g_free (sample);
    }
  return G_SOURCE_REMOVE;
}

static void
post_sample (WsClient       *self,
             const WsSample *sample)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->pending_samples, g_memdup2 (sample, sizeof *sample));
  if (self->idle_id == 0)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, deliver_samples, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[wirespeed] deliver samples");
      self->idle_id = g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

typedef struct {
  WsClient *client;
  guint signal;   /* SIGNAL_NOTICE or SIGNAL_PEER */
  char *text;
} Notice;

static gboolean
deliver_notice (gpointer data)
{
  Notice *notice = data;

  g_signal_emit (notice->client, signals[notice->signal], 0, notice->text);
  return G_SOURCE_REMOVE;
}

static void
notice_free (gpointer data)
{
  Notice *notice = data;

  g_object_unref (notice->client);
  g_free (notice->text);
  g_free (notice);
}

/* Hands @text (transfer full) to the caller's main context as @signal. At
 * the same priority as the samples and queued before them, so it comes
 * first. */
static void
post_text (WsClient *self,
           guint     signal,
           char     *text)
{
  Notice *notice = g_new0 (Notice, 1);
  GSource *source = g_idle_source_new ();

  notice->client = g_object_ref (self);
  notice->signal = signal;
  notice->text = text;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_notice, notice, notice_free);
  g_source_set_static_name (source, "[wirespeed] deliver notice");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
post_notice (WsClient *self,
             char     *text)
{
  post_text (self, SIGNAL_NOTICE, text);
}

/* ---- Errors a person can act on ---- */

static void
explain_connect_error (Run     *run,
                       GError **error)
{
  GError *e = *error;
  const char *host = run->config.target;
  guint port = run->config.port;
  char *text = NULL;

  if (e->domain == G_RESOLVER_ERROR)
    text = g_strdup_printf (_("Host not found: %s"), host);
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    /* Translators: a host name or address, then a port number. */
    text = g_strdup_printf (_("Connection refused by %s port %u: is a Wirespeed server running there?"),
                            host, port);
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    text = g_strdup_printf (_("Timed out connecting to %s port %u"), host, port);
  else if (!g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* Translators: a host, a port, then the system's reason. */
    text = g_strdup_printf (_("Cannot connect to %s port %u: %s"), host, port, e->message);

  if (text != NULL)
    {
      g_free (e->message);
      e->message = text;
    }
}

/* The server's ERROR message, said as a client would want to read it. */
static void
explain_server_error (GError          **error,
                      const WsMessage  *msg)
{
  const WsErrorMessage *e = &msg->u.error;

  switch (e->code)
    {
    case WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION:
      if (e->value < WS_PROTOCOL_V2)
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     _("The server is too old: it speaks protocol version %u, this client needs %u"),
                     e->value, WS_PROTOCOL_V2);
      else
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     /* Translators: two version numbers, then the server's reason, in English. */
                     _("The server refused protocol version %u (it speaks up to %u): %s"),
                     WS_PROTOCOL_V2, e->value, e->text);
      return;
    case WS_PROTOCOL_ERROR_BUSY:
      /* Busy for everybody or for our address: the text says which, in
       * the server's words (English: the server cannot know our language). */
      if (e->text[0] != '\0')
        /* Translators: %s is the server's reason, in English, e.g. “The server is busy: it already runs 4 tests”. */
        g_set_error (error, WS_PROTOCOL_ERROR, e->code, _("%s; try again later"), e->text);
      else
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "The server is busy (its %u test slot is in use): try again later",
                                  "The server is busy (all %u test slots in use): try again later",
                                  e->value),
                     e->value);
      return;
    case WS_PROTOCOL_ERROR_ACCESS_DENIED:
      g_set_error_literal (error, WS_PROTOCOL_ERROR, e->code, _("Access denied by the server"));
      return;
    case WS_PROTOCOL_ERROR_AUTH_FAILED:
      g_set_error_literal (error, WS_PROTOCOL_ERROR, e->code,
                           _("Authentication failed: the server did not accept this key"));
      return;
    case WS_PROTOCOL_ERROR_TLS_REQUIRED:
      /* The remedy is the face's: ws-cli.c and ws-window.c add it. */
      g_set_error_literal (error, WS_PROTOCOL_ERROR, e->code, _("The server requires TLS"));
      return;
    default:
      /* Translators: %s is the server's reason, in English. */
      g_set_error (error, WS_PROTOCOL_ERROR, e->code, _("The server refused the test: %s"),
                   e->text[0] ? e->text : _("no reason given"));
      return;
    }
}

static void
set_no_answer_error (GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               _("Timed out: the server did not answer within %d s"),
               (int) (HANDSHAKE_TIMEOUT_NS / WS_NSEC_PER_SEC));
}

/* Reads the message the handshake expects, or explains what came instead. */
static gboolean
expect (Run        *run,
        guint8      type,
        WsMessage  *msg,
        GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!ws_channel_read_message (run->channel, msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS,
                           run->stop, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                     _("The server closed the connection during the handshake: "
                       "is it a Wirespeed server (0.1 or later)?"));
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        set_no_answer_error (error);
      else if (local_error->domain == WS_PROTOCOL_ERROR)
        g_set_error (error, WS_PROTOCOL_ERROR, local_error->code,
                     /* Translators: %s is a protocol diagnostic, in English. */
                     _("The server does not speak the Wirespeed protocol: %s"),
                     local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_ERROR)
    {
      explain_server_error (error, msg);
      return FALSE;
    }
  if (msg->version != WS_PROTOCOL_V2 || msg->type != type)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   /* Translators: two protocol message names, such as HELLO_REPLY. */
                   _("The server sent %s where %s was expected"),
                   ws_message_type_to_string (msg->version, msg->type),
                   ws_message_type_to_string (WS_PROTOCOL_V2, type));
      return FALSE;
    }
  return TRUE;
}

static gboolean
send_msg (Run              *run,
          const WsMessage  *msg,
          GError          **error)
{
  return ws_channel_send_message (run->channel, msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS,
                             NULL, error);
}

/* ---- Setting up ---- */

/* The server's name is checked against its certificate, as typed. An
 * address is passed as an address: as a host name it would go out as SNI,
 * which servers must refuse for IP literals (RFC 6066). */
static gboolean
start_tls (Run     *run,
           GError **error)
{
  const char *target = run->config.target;
  g_autoptr(GSocketConnectable) identity =
    g_hostname_is_ip_address (target)
    ? G_SOCKET_CONNECTABLE (g_inet_socket_address_new_from_string (target, run->config.port))
    : g_network_address_new (target, run->config.port);
  WsTlsClientOptions options = { run->config.tls_ca_file, run->config.tls_fingerprint };

  return ws_channel_connect_tls (run->channel, identity, &options,
                                 ws_now_ns () + HANDSHAKE_TIMEOUT_NS, run->stop, error);
}

/* The answer to the server's challenge, when it asks for one. */
static gboolean
authenticate (Run                *run,
              const WsHelloReply *reply,
              GError            **error)
{
  WsMessage msg;

  if (!(reply->flags & WS_HELLO_FLAG_AUTH_REQUIRED))
    return TRUE;
  if (run->config.auth_name == NULL || run->config.auth_secret == NULL)
    {
      g_set_error_literal (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_KEY_MISSING,
                           _("The server requires authentication"));
      return FALSE;
    }
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_AUTH);
  g_strlcpy (msg.u.auth.name, run->config.auth_name, sizeof msg.u.auth.name);
  ws_auth_compute (msg.u.auth.name, run->config.auth_secret, reply->nonce, msg.u.auth.mac);
  return send_msg (run, &msg, error);
}

static gboolean
connect_control (Run     *run,
                 GError **error)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  gint64 t0;

  if (run->config.tls && !ws_tls_check_available (error))
    return FALSE;
  t0 = ws_now_ns ();

  g_socket_client_set_timeout (sc, CONNECT_TIMEOUT_S);
  run->connection = g_socket_client_connect_to_host (sc, run->config.target, run->config.port,
                                                     run->stop, error);
  run->connect_ns = ws_now_ns () - t0;
  if (run->connection == NULL)
    {
      explain_connect_error (run, error);
      return FALSE;
    }
  run->control = g_socket_connection_get_socket (run->connection);
  g_socket_set_blocking (run->control, FALSE);
  g_socket_set_option (run->control, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  /* Data connections go to the very address the control connection
   * reached, not to whatever the name resolves to next. */
  run->remote = g_socket_get_remote_address (run->control, error);
  if (run->remote == NULL)
    return FALSE;
  run->channel = ws_channel_new (run->control);
  return !run->config.tls || start_tls (run, error);
}

/* The request the config asks for, with the mode's defaults filled in. */
static void
build_request (const WsTestConfig *config,
               WsTestRequest      *q)
{
  gboolean udp = ws_test_mode_is_udp (config->mode);

  memset (q, 0, sizeof *q);
  q->mode = config->mode;
  q->direction = config->direction;
  q->streams = config->streams;
  q->duration_ms = config->duration_s * 1000;
  q->interval_ms = config->interval_ms;
  q->length = config->length ? config->length : udp ? WS_DEFAULT_UDP_LENGTH : WS_DEFAULT_LENGTH;
  q->bitrate = config->bitrate != G_MAXUINT64 ? config->bitrate
               : udp ? WS_DEFAULT_UDP_BITRATE : 0;
  q->rr_request_size = config->rr_request_size;
  q->rr_response_size = config->rr_response_size;
}

/* The latency probe: a light UDP request/response every few ms. */
#define PROBE_INTERVAL_NS (15 * WS_NSEC_PER_MSEC)
#define IDLE_PROBE_S 2

/* "5 Mbit/s", for notices. */
static char *
format_rate (guint64 bps)
{
  static const char * const units[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
  gdouble value = bps;
  guint i = 0;

  for (; value >= 1000 && i + 1 < G_N_ELEMENTS (units); i++)
    value /= 1000;
  return g_strdup_printf ("%.3g %s", value, units[i]);
}

/* Tells the caller, once per limit, where the server granted less than
 * @asked: the test then runs as granted. */
static void
notice_limits (Run                 *run,
               const WsTestRequest *asked)
{
  const WsTestRequest *got = &run->request;

  if (got->duration_ms < asked->duration_ms)
    post_notice (run->client, g_strdup_printf (_("The server limits tests to %g s; running %g s"),
                                               got->duration_ms / 1000.0,
                                               got->duration_ms / 1000.0));
  if (got->streams < asked->streams)
    post_notice (run->client,
                 g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "The server limits tests to %u stream per direction; running %u",
                                               "The server limits tests to %u streams per direction; running %u",
                                               got->streams),
                                  got->streams, got->streams));
  if (got->length < asked->length)
    post_notice (run->client,
                 g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                               "The server limits writes to %u byte; using %u byte",
                                               "The server limits writes to %u bytes; using %u bytes",
                                               got->length),
                                  got->length, got->length));
  if (got->mode == WS_TEST_UDP_STREAM && got->bitrate != asked->bitrate)
    {
      g_autofree char *rate = format_rate (got->bitrate);

      /* Translators: %s is a rate such as “5 Mbit/s”. */
      post_notice (run->client, g_strdup_printf (_("The server limits the rate to %s per stream; "
                                                   "running at %s per stream"), rate, rate));
    }
}

/* TEST_ACCEPT, and TEST_GRANT when the server sends one: what the server
 * granted, which may be less than run->request asked for and never more. */
static gboolean
take_grant (Run     *run,
            GError **error)
{
  const WsTestAccept *a = &run->accept;
  const WsTestRequest asked = run->request;
  WsMessage msg;

  if (a->streams > asked.streams || a->duration_ms > asked.duration_ms
      || a->length > asked.length)
    goto more;
  run->request.streams = a->streams;
  run->request.duration_ms = a->duration_ms;
  run->request.length = a->length;
  if (run->grant)
    {
      if (!expect (run, WS_MSG_TEST_GRANT, &msg, error))
        return FALSE;
      if (asked.bitrate != 0 && (msg.u.grant.bitrate == 0 || msg.u.grant.bitrate > asked.bitrate))
        goto more;
      run->request.bitrate = msg.u.grant.bitrate;
    }
  run->result->streams = a->streams;
  run->result->duration_s = (a->duration_ms + 500) / 1000;
  notice_limits (run, &asked);
  return TRUE;

more:
  g_set_error_literal (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE,
                       _("The server granted more than this client asked for"));
  return FALSE;
}

/* ---- Is it iperf3? ---- */

/* Judges the first byte the server sent, without taking it. Only iperf3
 * starts with 0xff (ACCESS_DENIED: busy, said before reading anything) or,
 * once it has a whole cookie, 9 (PARAM_EXCHANGE). */
static gboolean
judge_first_byte (Run      *run,
                  gboolean  padded,
                  GError  **error)
{
  guint8 first;

  if (recv (g_socket_get_fd (run->control), &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
    return TRUE;  /* closed or failed: expect() says what */
  if (first == (guint8) WS_IPERF3_ACCESS_DENIED)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("The iperf3 server at %s port %u is busy running another test; try again later"),
                   run->config.target, run->config.port);
      return FALSE;
    }
  if (padded && first == WS_IPERF3_PARAM_EXCHANGE)
    {
      g_set_error_literal (error, PEER_ERROR, PEER_IS_IPERF3, "iperf3");
      return FALSE;
    }
  if (padded && first == WS_PROTOCOL_V2)
    {
      g_set_error_literal (error, PEER_ERROR, PEER_SPOILT, "slow");
      return FALSE;
    }
  return TRUE;
}

/* iperf3 servers listen on our default port and say nothing until they
 * have read a 37-byte cookie; our HELLO has 16. After a silence that no
 * Wirespeed server keeps, the client sends the other 21 bytes: an iperf3
 * server then answers PARAM_EXCHANGE. A Wirespeed server that was merely
 * slow answers HELLO_REPLY and then chokes on the padding, so that test
 * starts again on a new connection. Plaintext only: a TLS ClientHello is
 * longer than a cookie already. */
static gboolean
sniff_server (Run     *run,
              GError **error)
{
  static const guint8 padding[WS_IPERF3_COOKIE_SIZE - 16] = { 0 };
  gint64 quiet = CLAMP (4 * run->connect_ns, SNIFF_QUIET_NS, SNIFF_QUIET_MAX_NS);
  gint64 deadline = ws_now_ns () + HANDSHAKE_TIMEOUT_NS;
  g_autoptr(GError) local_error = NULL;

  *run->sniff = FALSE;
  if (ws_channel_wait_readable (run->channel, ws_now_ns () + quiet, run->stop, &local_error))
    return judge_first_byte (run, FALSE, error);
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);
  if (!ws_io_write_all (run->control, padding, sizeof padding, deadline, run->stop, error))
    return FALSE;
  if (!ws_channel_wait_readable (run->channel, deadline, run->stop, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        set_no_answer_error (error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return judge_first_byte (run, TRUE, error);
}

/* The idle probe before a fixed-size test is an ordinary timed one. */
static gboolean
fixed_size (Run *run)
{
  return run->config.bytes != 0 && !ws_test_mode_is_rr (run->config.mode);
}

static gboolean
send_test_bytes (Run     *run,
                 GError **error)
{
  WsMessage msg;

  if (!fixed_size (run))
    return TRUE;
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_BYTES);
  msg.u.test_bytes.bytes = run->config.bytes;
  return send_msg (run, &msg, error);
}

/* A server that announced CLIENT_ADDRESS sends it right after HELLO_REPLY;
 * an older one says nothing, and the result has no client address. */
static gboolean
read_client_address (Run                *run,
                     const WsHelloReply *reply,
                     GError            **error)
{
  WsMessage msg;

  if ((reply->capabilities & WS_CAP_CLIENT_ADDRESS) == 0)
    return TRUE;
  if (!expect (run, WS_MSG_CLIENT_ADDRESS, &msg, error))
    return FALSE;
  g_free (run->result->client_address);
  run->result->client_address = ws_client_address_format (&msg.u.client_address);
  return TRUE;
}

static gboolean
handshake (Run     *run,
           GError **error)
{
  WsHelloReply reply;
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = WS_PROTOCOL_V2;
  msg.u.hello.capabilities = WS_CAP_TEST_GRANT | WS_CAP_TEST_BYTES | WS_CAP_CLIENT_ADDRESS;
  if (!send_msg (run, &msg, error))
    return FALSE;
  if (*run->sniff && !run->config.tls && !sniff_server (run, error))
    return FALSE;
  *run->sniff = FALSE;
  if (!expect (run, WS_MSG_HELLO_REPLY, &msg, error))
    return FALSE;
  if (!*run->peer_told)
    {
      *run->peer_told = TRUE;
      post_text (run->client, SIGNAL_PEER, g_strdup ("wirespeed"));
    }
  reply = msg.u.hello_reply;
  if (!read_client_address (run, &reply, error) || !authenticate (run, &reply, error))
    return FALSE;
  run->grant = (reply.capabilities & WS_CAP_TEST_GRANT) != 0;
  if (run->config.bytes != 0 && !(reply.capabilities & WS_CAP_TEST_BYTES))
    {
      g_set_error (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_BYTES_UNSUPPORTED,
                   _("The server at %s port %u is too old for fixed-size tests"),
                   run->config.target, run->config.port);
      return FALSE;
    }

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  build_request (&run->config, &msg.u.request);
  msg.u.request.flags = run->flags | (fixed_size (run) ? WS_REQUEST_FLAG_BYTES : 0);
  if (!ws_test_request_validate (&msg.u.request, error))
    return FALSE;
  run->request = msg.u.request;
  if (!send_msg (run, &msg, error) || !send_test_bytes (run, error)
      || !expect (run, WS_MSG_TEST_ACCEPT, &msg, error))
    return FALSE;
  run->accept = msg.u.accept;
  /* The server may grant less than we asked for. */
  return take_grant (run, error);
}

static void
stream_hello (Run       *run,
              guint      id,
              WsMessage *msg)
{
  ws_message_init (msg, WS_PROTOCOL_V2, WS_MSG_STREAM_HELLO);
  memcpy (msg->u.stream_hello.cookie, run->accept.cookie, WS_COOKIE_SIZE);
  msg->u.stream_hello.stream_id = id;
  msg->u.stream_hello.role = ws_test_request_stream_role (&run->request, id);
}

static GSocket *
open_tcp_stream (Run      *run,
                 guint     id,
                 GError  **error)
{
  g_autoptr(GSocket) socket = NULL;
  WsMessage msg;

  socket = g_socket_new (g_socket_address_get_family (run->remote), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_timeout (socket, CONNECT_TIMEOUT_S);
  if (!g_socket_connect (socket, run->remote, run->stop, error))
    {
      /* Translators: %u numbers the connection; the reason follows. */
      g_prefix_error (error, _("Data connection %u: "), id);
      return NULL;
    }
  stream_hello (run, id, &msg);
  if (!ws_io_send_message (socket, &msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS, run->stop, error))
    return NULL;
  return g_steal_pointer (&socket);
}

/* A UDP stream says STREAM_HELLO in a datagram until the server's
 * STREAM_ACK comes back from the socket it made for this stream. */
static gboolean
udp_handshake (Run      *run,
               GSocket  *socket,
               guint     id,
               GError  **error)
{
  guint8 hello[WS_MESSAGE_MAX_SIZE], reply[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;
  gsize n;

  stream_hello (run, id, &msg);
  n = ws_message_encode (&msg, hello, sizeof hello);
  for (guint attempt = 0; attempt < UDP_HELLO_ATTEMPTS; attempt++)
    {
      gint64 deadline = ws_now_ns () + UDP_HELLO_WAIT_NS;
      gssize got;

      if (g_socket_send (socket, (const char *) hello, n, run->stop, error) < 0)
        return FALSE;
      while (ws_io_wait_readable (socket, deadline, run->stop, NULL))
        {
          got = g_socket_receive (socket, (char *) reply, sizeof reply, NULL, NULL);
          if (got > 0 && ws_message_decode (reply, got, &msg, NULL, NULL)
              && msg.type == WS_MSG_STREAM_ACK && msg.u.stream_hello.stream_id == id)
            return TRUE;
        }
      if (g_cancellable_set_error_if_cancelled (run->stop, error))
        return FALSE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               /* Translators: a stream number, then a port number. */
               _("UDP stream %u: no answer from the server’s UDP port %u (is UDP blocked?)"),
               id, run->config.port);
  return FALSE;
}

static GSocket *
open_udp_stream (Run      *run,
                 guint     id,
                 GError  **error)
{
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new (g_socket_address_get_family (run->remote), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, error);
  if (socket == NULL || !g_socket_connect (socket, run->remote, run->stop, error))
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  if (!udp_handshake (run, socket, id, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static gboolean
open_streams (Run     *run,
              GError **error)
{
  WsStreamParams params = { 0 };

  params.length = run->request.length;
  params.bitrate = run->request.bitrate;
  params.rr_request = run->request.rr_request_size;
  params.rr_response = run->request.rr_response_size;
  params.rr_timeout_ns = (guint64) run->config.rr_timeout_ms * WS_NSEC_PER_MSEC;

  run->n_streams = ws_test_request_n_streams (&run->request);
  run->streams = g_new0 (WsStream *, run->n_streams);
  for (guint id = 0; id < run->n_streams; id++)
    {
      WsStreamRole role = ws_test_request_stream_role (&run->request, id);
      g_autoptr(GSocket) socket = ws_stream_role_is_udp (&run->request, role)
                                  ? open_udp_stream (run, id, error)
                                  : open_tcp_stream (run, id, error);

      if (socket == NULL)
        return FALSE;
      params.pace_ns = role == WS_ROLE_PROBE ? PROBE_INTERVAL_NS
                       : (guint64) run->config.rr_pace_us * 1000;
      params.bytes = fixed_size (run) && role == WS_ROLE_CLIENT_SENDS
                     ? ws_test_bytes_share (run->config.bytes, run->request.streams,
                                            id % run->request.streams)
                     : 0;
      run->streams[id] = ws_stream_new (socket, id, role,
                                        ws_stream_kind_for (run->request.mode, role, TRUE),
                                        &params);
    }
  run->sampler = ws_sampler_new (&run->request, run->streams, run->result);
  return TRUE;
}

static gboolean
start_streams (Run     *run,
               GError **error)
{
  WsMessage msg;

  if (!expect (run, WS_MSG_TEST_START, &msg, error))
    return FALSE;
  run->start_ns = run->interval_start_ns = ws_now_ns ();
  run->result->start_time = g_date_time_new_now_utc ();
  ws_sampler_start (run->sampler, run->start_ns);
  for (guint i = 0; i < run->n_streams; i++)
    if (!ws_stream_start (run->streams[i], error))
      return FALSE;
  return TRUE;
}

static void
emit_ready (Run      *run,
            gboolean  flush)
{
  WsSample sample;

  while (ws_sampler_pop_ready (run->sampler, flush, &sample))
    {
      if (!run->post)
        continue;
      sample.index += run->index_offset;
      sample.start_s += run->time_offset;
      sample.end_s += run->time_offset;
      post_sample (run->client, &sample);
    }
}

/* ---- The test clock ---- */

/* Handles one message from the server; *end is set by RESULTS_END. */
static gboolean
handle_server_message (Run       *run,
                       gboolean  *end,
                       GError   **error)
{
  WsMessage msg;

  if (!ws_channel_read_message (run->channel, &msg, ws_now_ns () + HANDSHAKE_TIMEOUT_NS, NULL, error))
    {
      g_prefix_error (error, _("Lost the server during the test: "));
      return FALSE;
    }
  if (msg.version != WS_PROTOCOL_V2)
    goto unexpected;
  switch (msg.type)
    {
    case WS_MSG_INTERVAL:
      if (msg.u.interval.role == WS_ROLE_SERVER_SENDS)
        run->server_sent += msg.u.interval.bytes_sent;
      ws_sampler_add_interval (run->sampler, &msg.u.interval);
      emit_ready (run, FALSE);
      return TRUE;
    case WS_MSG_UDP_STATS:
      ws_sampler_add_udp_stats (run->sampler, &msg.u.udp_stats);
      emit_ready (run, FALSE);
      return TRUE;
    case WS_MSG_STREAM_RESULT:
      ws_sampler_add_result (run->sampler, &msg.u.stream_result);
      return TRUE;
    case WS_MSG_RESULTS_END:
      *end = TRUE;
      return TRUE;
    case WS_MSG_ERROR:
      explain_server_error (error, &msg);
      return FALSE;
    default:
      goto unexpected;
    }

unexpected:
  g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
               /* Translators: %s is a protocol message name, such as HELLO_REPLY. */
               _("The server sent an unexpected %s during the test"),
               ws_message_type_to_string (msg.version, msg.type));
  return FALSE;
}

static gboolean
send_keepalive (Run     *run,
                GError **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_KEEPALIVE);
  return send_msg (run, &msg, error);
}

/* How often a fixed-size test looks whether its bytes are there. */
#define BYTES_POLL_NS (10 * WS_NSEC_PER_MSEC)

/* Whether a UDP receiving stream has its whole share: without loss, the
 * test need not wait for the server's next report. */
static gboolean
udp_share_received (Run      *run,
                    WsStream *stream)
{
  WsStreamCounters c;

  ws_stream_read (stream, &c);
  return c.bytes >= ws_test_bytes_share (run->config.bytes, run->request.streams,
                                         ws_stream_get_id (stream) % run->request.streams);
}

/* Whether every byte of a fixed-size test has reached its receiver, as
 * far as this end can tell: its senders wrote their shares (the server
 * reads them to end-of-file after TEST_DONE), its TCP receivers saw the
 * server's end-of-file, and its UDP receivers have their shares, or the
 * server reported its UDP senders done (datagrams may be lost). */
static gboolean
bytes_delivered (Run *run)
{
  gboolean udp_missing = FALSE;

  for (guint i = 0; i < run->n_streams; i++)
    {
      WsStream *stream = run->streams[i];
      WsStreamKind kind = ws_stream_get_kind (stream);

      if (kind == WS_STREAM_UDP_RECEIVE)
        udp_missing |= !udp_share_received (run, stream);
      else if ((kind == WS_STREAM_TCP_SEND || kind == WS_STREAM_UDP_SEND
                || kind == WS_STREAM_TCP_RECEIVE)
               && !ws_stream_wait (stream, 0))
        return FALSE;
    }
  return !udp_missing || run->server_sent >= run->config.bytes;
}

/* Runs until the duration is over or the caller cancels. */
static gboolean
run_clock (Run     *run,
           GError **error)
{
  gint64 interval_ns = (gint64) run->config.interval_ms * WS_NSEC_PER_MSEC;
  gint64 end_ns = run->start_ns + (gint64) run->accept.duration_ms * WS_NSEC_PER_MSEC;
  gint64 next_keepalive = run->start_ns + KEEPALIVE_NS;
  gboolean end = FALSE;

  for (;;)
    {
      gint64 next_tick = run->interval_start_ns + interval_ns;
      gint64 wake = MIN (MIN (next_tick, end_ns), next_keepalive);
      g_autoptr(GError) local_error = NULL;
      gint64 now;

      if (fixed_size (run))
        {
          if (bytes_delivered (run))
            return TRUE;
          wake = MIN (wake, ws_now_ns () + BYTES_POLL_NS);
        }

      if (ws_channel_wait_readable (run->channel, wake, run->stop, &local_error))
        {
          if (!handle_server_message (run, &end, error))
            return FALSE;
          continue;
        }
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          run->result->interrupted = TRUE;
          return TRUE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      now = ws_now_ns ();
      if (now >= end_ns)
        return TRUE;
      if (now >= next_tick)
        {
          ws_sampler_tick (run->sampler, now);
          run->interval_start_ns = now;
          emit_ready (run, FALSE);
        }
      if (now >= next_keepalive)
        {
          if (!send_keepalive (run, error))
            return FALSE;
          next_keepalive = now + KEEPALIVE_NS;
        }
    }
}

/* Stop writing, tell the server, let both sides drain, read the results. */
static gboolean
finish (Run     *run,
        GError **error)
{
  gint64 deadline;
  gboolean end = FALSE;
  WsMessage msg;

  run->stop_ns = ws_now_ns ();
  for (guint i = 0; i < run->n_streams; i++)
    ws_stream_stop_sending (run->streams[i]);

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_DONE);
  msg.u.done.elapsed_ns = run->stop_ns - run->start_ns;
  if (!send_msg (run, &msg, error))
    return FALSE;

  deadline = ws_now_ns () + FINISH_TIMEOUT_NS;
  for (guint i = 0; i < run->n_streams; i++)
    if (!ws_stream_wait (run->streams[i], deadline))
      ws_stream_abort (run->streams[i]);
  for (guint i = 0; i < run->n_streams; i++)
    ws_stream_join (run->streams[i]);

  /* Bytes that drained after the stop belong to the last interval, which
   * therefore ends when the drain did: ending it at the stop would credit
   * a socket buffer's worth of bytes to a sliver of time. */
  ws_sampler_tick (run->sampler, ws_now_ns ());
  ws_sampler_begin_finish (run->sampler);
  while (!end)
    if (!handle_server_message (run, &end, error))
      return FALSE;
  emit_ready (run, TRUE);
  return TRUE;
}

/* ---- The result ---- */

static WsResult *
new_result (Run *run)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (run->config.target);
  r->port = run->config.port;
  r->mode = run->config.mode;
  r->direction = run->config.direction;
  r->streams = run->config.streams;
  r->duration_s = run->config.duration_s;
  r->bytes = ws_test_mode_is_rr (run->config.mode) ? 0 : run->config.bytes;
  r->interval_s = run->config.interval_ms / 1000.0;
  return r;
}

/* Judged by the numbers, whatever ended the test: TCP delivers every byte
 * or none, so its receiver's count is the truth; UDP may lose datagrams,
 * so only its sender's count can be exact. */
static gboolean
flow_complete (const WsFlowStats *flow,
               guint64            bytes)
{
  if (!flow->measured)
    return TRUE;
  return (flow->udp ? flow->sender_bytes : flow->receiver_bytes) == bytes;
}

static void
judge_bytes (WsResult *r)
{
  if (r->bytes != 0)
    r->bytes_complete = flow_complete (&r->upload, r->bytes)
                        && flow_complete (&r->download, r->bytes);
}

static void
describe_remote (Run *run)
{
  GInetAddress *address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (run->remote));
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (run->control, NULL);

  run->result->remote_address = g_inet_address_to_string (address);
  run->result->local_address = ws_address_format (local);
}

/* One session with the server, from connect to RESULTS_END. */
static WsResult *
run_session (Run     *run,
             GError **error)
{
  run->result = new_result (run);
  if (!connect_control (run, error) || !handshake (run, error)
      || !open_streams (run, error) || !start_streams (run, error))
    return NULL;
  describe_remote (run);
  run->result->length = run->request.length;
  run->result->rr_request_size = run->request.rr_request_size;
  run->result->rr_response_size = run->request.rr_response_size;
  if (!run_clock (run, error) || !finish (run, error))
    return NULL;
  ws_sampler_summarise (run->sampler, run->stop_ns);
  judge_bytes (run->result);
  return g_steal_pointer (&run->result);
}

typedef struct {
  WsClient *client;
  WsTestConfig config;
  GCancellable *stop;
  gboolean sniff;       /* no server has answered HELLO yet */
  gboolean peer_told;   /* "peer" was emitted */
  gboolean detected;    /* the server answered like iperf3 a moment ago */
} Job;

static void
job_free (Job *job)
{
  ws_test_config_clear (&job->config);
  g_clear_object (&job->stop);
  g_object_unref (job->client);
  g_free (job);
}

static Run *
run_new (Job                *job,
         const WsTestConfig *config,
         guint32             flags,
         gboolean            post,
         const WsResult     *before)
{
  Run *run = g_new0 (Run, 1);

  run->client = g_object_ref (job->client);
  ws_test_config_copy (&run->config, config);
  run->flags = flags;
  run->stop = g_object_ref (job->stop);
  run->post = post;
  run->sniff = &job->sniff;
  run->peer_told = &job->peer_told;
  if (before != NULL)
    {
      run->index_offset = before->samples->len;
      run->time_offset = before->elapsed_s;
    }
  return run;
}

static WsResult *
run_one (Job                *job,
         const WsTestConfig *config,
         guint32             flags,
         gboolean            post,
         const WsResult     *before,
         GError            **error)
{
  g_autoptr(Run) run = run_new (job, config, flags, post, before);
  g_autoptr(GError) local_error = NULL;
  WsResult *result = run_session (run, &local_error);

  /* Sniffing is over by now, so this starts again at most once. */
  if (g_error_matches (local_error, PEER_ERROR, PEER_SPOILT))
    return run_one (job, config, flags, post, before, error);
  if (result == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return result;
}

/* A few seconds of probing on a quiet link: the baseline that latency
 * under load is compared with. */
static WsResult *
run_idle_probe (Job     *job,
                GError **error)
{
  WsTestConfig idle;
  WsResult *result;

  ws_test_config_copy (&idle, &job->config);
  idle.mode = WS_TEST_UDP_RR;
  idle.streams = 1;
  idle.duration_s = IDLE_PROBE_S;
  idle.rr_pace_us = PROBE_INTERVAL_NS / 1000;
  result = run_one (job, &idle, 0, FALSE, NULL, error);
  ws_test_config_clear (&idle);
  return result;
}

/* Stopped during the idle probe: what there is, which is idle latency. */
static WsResult *
idle_only (Job      *job,
           WsResult *idle)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (idle->target);
  r->remote_address = g_strdup (idle->remote_address);
  r->client_address = g_strdup (idle->client_address);
  r->local_address = g_strdup (idle->local_address);
  r->port = idle->port;
  r->mode = job->config.mode;
  r->direction = job->config.direction;
  r->streams = job->config.streams;
  r->duration_s = job->config.duration_s;
  r->interval_s = job->config.interval_ms / 1000.0;
  r->start_time = g_date_time_ref (idle->start_time);
  r->interrupted = TRUE;
  r->idle_latency = idle->latency;
  return r;
}

static WsResult *
run_under_load (Job     *job,
                GError **error)
{
  g_autoptr(WsResult) idle = run_idle_probe (job, error);
  WsResult *load;

  if (idle == NULL)
    return NULL;
  if (idle->interrupted)
    return idle_only (job, idle);
  load = run_one (job, &job->config, WS_REQUEST_FLAG_PROBE, TRUE, NULL, error);
  if (load != NULL)
    load->idle_latency = idle->latency;
  return load;
}

static void
append_phase (WsResult       *into,
              const WsResult *phase)
{
  for (guint i = 0; i < phase->samples->len; i++)
    {
      WsSample s = g_array_index (phase->samples, WsSample, i);

      s.index = into->samples->len;
      s.start_s += into->elapsed_s;
      s.end_s += into->elapsed_s;
      ws_result_add_sample (into, &s);
    }
  g_array_append_vals (into->stream_summaries, phase->stream_summaries->data,
                       phase->stream_summaries->len);
  into->elapsed_s += phase->elapsed_s;
  into->interrupted |= phase->interrupted;
  into->probe_sent += phase->probe_sent;
  into->probe_lost += phase->probe_lost;
  into->rtt_jitter_ms = MAX (into->rtt_jitter_ms, phase->rtt_jitter_ms);
  ws_result_merge_loaded_latency (into, phase);
}

/* The speed test's result from its phases: @up is NULL when the test was
 * stopped during the download. */
static WsResult *
combine_speed (const WsLatency *idle_latency,
               const WsResult  *down,
               const WsResult  *up)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (down->target);
  r->remote_address = g_strdup (down->remote_address);
  r->client_address = g_strdup (down->client_address);
  r->local_address = g_strdup (down->local_address);
  r->port = down->port;
  r->mode = WS_TEST_SPEED;
  r->direction = WS_DIRECTION_BIDIR;
  r->streams = down->streams;
  r->duration_s = down->duration_s;
  r->interval_s = down->interval_s;
  r->length = down->length;
  r->start_time = g_date_time_ref (down->start_time);
  r->peer_protocol = g_strdup (down->peer_protocol);
  /* An iperf3 server's phases are timed differently (ws-iperf3-client.c). */
  if (up != NULL && g_strcmp0 (down->latency_method, up->latency_method) != 0)
    r->latency_method = g_strdup_printf ("download: %s; upload: %s",
                                         down->latency_method, up->latency_method);
  else
    r->latency_method = g_strdup (down->latency_method);
  r->idle_latency = *idle_latency;
  r->download = down->download;
  r->download_s = down->elapsed_s;
  r->loaded_latency_download = down->loaded_latency;
  append_phase (r, down);
  if (up != NULL)
    {
      r->upload = up->upload;
      r->upload_s = up->elapsed_s;
      r->loaded_latency_upload = up->loaded_latency;
      append_phase (r, up);
    }
  return r;
}

/* The speed test: idle latency, then download, then upload, each load
 * phase with its own loaded latency. */
static WsResult *
run_speed (Job     *job,
           GError **error)
{
  g_autoptr(WsResult) idle = run_idle_probe (job, error);
  g_autoptr(WsResult) down = NULL;
  g_autoptr(WsResult) up = NULL;
  WsTestConfig phase;

  if (idle == NULL)
    return NULL;
  if (idle->interrupted)
    return idle_only (job, idle);
  ws_test_config_copy (&phase, &job->config);
  phase.mode = WS_TEST_TCP_STREAM;
  phase.direction = WS_DIRECTION_DOWNLOAD;
  down = run_one (job, &phase, WS_REQUEST_FLAG_PROBE, TRUE, NULL, error);
  if (down != NULL && !down->interrupted)
    {
      phase.direction = WS_DIRECTION_UPLOAD;
      up = run_one (job, &phase, WS_REQUEST_FLAG_PROBE, TRUE, down, error);
    }
  ws_test_config_clear (&phase);
  if (down == NULL || (up == NULL && !down->interrupted))
    return NULL;
  return combine_speed (&idle->latency, down, up);
}

static WsResult *
run_wirespeed (Job     *job,
               GError **error)
{
  if (job->config.mode == WS_TEST_SPEED)
    return run_speed (job, error);
  if (!ws_test_mode_is_rr (job->config.mode) && job->config.latency_probe)
    return run_under_load (job, error);
  return run_one (job, &job->config, 0, TRUE, NULL, error);
}

/* ---- Against an iperf3 server ---- */

typedef struct {
  WsClient *client;
  const WsResult *before;   /* the speed test's download, during its upload */
} Iperf3Post;

static void
post_iperf3_sample (const WsSample *sample,
                    gpointer        data)
{
  Iperf3Post *post = data;
  WsSample s = *sample;

  if (post->before != NULL)
    {
      s.index += post->before->samples->len;
      s.start_s += post->before->elapsed_s;
      s.end_s += post->before->elapsed_s;
    }
  post_sample (post->client, &s);
}

static WsResult *
run_iperf3_phase (Job            *job,
                  WsDirection     direction,
                  const WsResult *before,
                  GError        **error)
{
  Iperf3Post post = { job->client, before };
  WsTestConfig phase;
  WsResult *r;

  ws_test_config_copy (&phase, &job->config);
  phase.mode = WS_TEST_TCP_STREAM;
  phase.direction = direction;
  r = ws_iperf3_client_run (&phase, job->detected || before != NULL, job->stop,
                            post_iperf3_sample, &post, error);
  ws_test_config_clear (&phase);
  return r;
}

/* iperf3 has no idle probe: the download's TCP handshake times stand for
 * idle latency, its TCP_INFO RTTs for latency under load. */
static WsResult *
run_iperf3_speed (Job     *job,
                  GError **error)
{
  g_autoptr(WsResult) down = run_iperf3_phase (job, WS_DIRECTION_DOWNLOAD, NULL, error);
  g_autoptr(WsResult) up = NULL;

  if (down == NULL)
    return NULL;
  if (!down->interrupted)
    {
      up = run_iperf3_phase (job, WS_DIRECTION_UPLOAD, down, error);
      if (up == NULL)
        return NULL;
    }
  return combine_speed (&down->idle_latency, down, up);
}

static WsResult *
run_iperf3 (Job     *job,
            GError **error)
{
  Iperf3Post post = { job->client, NULL };

  if (!job->peer_told)
    {
      job->peer_told = TRUE;
      post_text (job->client, SIGNAL_PEER, g_strdup ("iperf3"));
    }
  if (ws_test_mode_is_rr (job->config.mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("%s port %u is an iperf3 server, and iperf3 has no request/response tests: "
                     "run a speed test, TCP_STREAM or UDP_STREAM"),
                   job->config.target, job->config.port);
      return NULL;
    }
  if (job->config.mode == WS_TEST_SPEED)
    return run_iperf3_speed (job, error);
  return ws_iperf3_client_run (&job->config, job->detected, job->stop, post_iperf3_sample, &post, error);
}

static void
run_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  WsResult *result;

  if (job->config.iperf3)
    result = run_iperf3 (job, &error);
  else
    result = run_wirespeed (job, &error);
  if (result == NULL && g_error_matches (error, PEER_ERROR, PEER_IS_IPERF3))
    {
      g_clear_error (&error);
      job->detected = TRUE;
      job->peer_told = TRUE;
      post_text (job->client, SIGNAL_PEER, g_strdup ("iperf3"));
      if (!ws_test_mode_is_rr (job->config.mode))
        post_notice (job->client,
                     g_strdup_printf (_("%s port %u is an iperf3 server: testing in iperf3’s protocol"),
                                      job->config.target, job->config.port));
      result = run_iperf3 (job, &error);
    }

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) ws_result_unref);
}

/**
 * ws_client_run_async:
 *
 * Runs one test. The "sample" signal is emitted once per interval on the
 * thread-default main context of the caller of this function.
 */
void
ws_client_run_async (WsClient            *self,
                     const WsTestConfig  *config,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (WS_IS_CLIENT (self));
  g_return_if_fail (config != NULL && config->target != NULL);

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();

  job = g_new0 (Job, 1);
  job->client = g_object_ref (self);
  ws_test_config_copy (&job->config, config);
  job->stop = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  job->sniff = TRUE;

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ws_client_run_async);
  /* Cancelling means "stop early", not "throw the result away". */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_worker);
}

WsResult *
ws_client_run_finish (WsClient      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ws_client_finalize (GObject *object)
{
  WsClient *self = WS_CLIENT (object);

  g_queue_clear_full (&self->pending_samples, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ws_client_parent_class)->finalize (object);
}

static void
ws_client_class_init (WsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ws_client_finalize;

  /**
   * WsClient::sample:
   * @sample: (type gpointer): a WsSample, valid during the emission
   */
  signals[SIGNAL_SAMPLE] = g_signal_new ("sample", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_POINTER);

  /**
   * WsClient::notice:
   * @text: one line for the person running the test, e.g. that the
   *   server granted a shorter test than was asked for
   *
   * Emitted before the first sample of the session it concerns.
   */
  signals[SIGNAL_NOTICE] = g_signal_new ("notice", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * WsClient::peer:
   * @kind: "wirespeed" or "iperf3"
   *
   * Emitted once per run, as soon as the server has answered and its kind
   * is known (before any notice or sample): what the test will be, e.g.
   * whether a speed test has an idle-latency phase, depends on it.
   */
  signals[SIGNAL_PEER] = g_signal_new ("peer", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ws_client_init (WsClient *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->pending_samples);
}

WsClient *
ws_client_new (void)
{
  return g_object_new (WS_TYPE_CLIENT, NULL);
}
