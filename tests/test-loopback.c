/* test-loopback.c — real server, real client, real sockets on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-address.h"
#include "ws-client-address.h"
#include "ws-io.h"
#include "ws-tcp-proxy.h"
#include "ws-test-util.h"
#include "ws-time.h"

static gboolean
have_ipv6_loopback (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, 0);

  return socket != NULL && g_socket_bind (socket, sa, TRUE, NULL);
}

/* The receiver reads to end-of-file, so both ends must agree to the byte,
 * and the intervals and the streams must add up to the summary. */
static void
check_flow (WsResult          *r,
            const WsFlowStats *total,
            WsDirection        direction)
{
  guint64 sample_sent = 0, sample_received = 0, stream_received = 0;

  g_assert_true (total->measured);
  g_assert_cmpuint (total->receiver_bytes, >, 0);
  g_assert_cmpuint (total->sender_bytes, ==, total->receiver_bytes);

  for (guint i = 0; i < r->samples->len; i++)
    {
      const WsSample *s = &g_array_index (r->samples, WsSample, i);
      const WsFlowStats *f = direction == WS_DIRECTION_UPLOAD ? &s->upload : &s->download;

      g_assert_true (f->measured);
      g_assert_cmpfloat (s->end_s, >, s->start_s);
      sample_sent += f->sender_bytes;
      sample_received += f->receiver_bytes;
    }
  g_assert_cmpuint (sample_sent, ==, total->sender_bytes);
  g_assert_cmpuint (sample_received, ==, total->receiver_bytes);

  for (guint i = 0; i < r->stream_summaries->len; i++)
    {
      const WsStreamSummary *st = &g_array_index (r->stream_summaries, WsStreamSummary, i);

      if (st->direction != direction)
        continue;
      g_assert_cmpuint (st->flow.receiver_bytes, >, 0);
      g_assert_cmpuint (st->flow.sender_bytes, ==, st->flow.receiver_bytes);
      stream_received += st->flow.receiver_bytes;
    }
  g_assert_cmpuint (stream_received, ==, total->receiver_bytes);
}

static void
check_result (WsResult     *r,
              WsTestConfig *config)
{
  guint n_streams = config->streams * (config->direction == WS_DIRECTION_BIDIR ? 2 : 1);

  g_assert_cmpint (r->mode, ==, WS_TEST_TCP_STREAM);
  g_assert_cmpint (r->direction, ==, config->direction);
  g_assert_cmpuint (r->streams, ==, config->streams);
  g_assert_cmpuint (r->stream_summaries->len, ==, n_streams);
  g_assert_nonnull (r->start_time);
  g_assert_nonnull (r->remote_address);
  /* The test stops on time; the drain after the stop can take a few hundred
   * milliseconds on a loaded 2-CPU machine (seen: 2.34 s for 2 s). */
  g_assert_cmpfloat (r->elapsed_s, >=, config->duration_s - 0.05);
  g_assert_cmpfloat (r->elapsed_s, <=, config->duration_s + 0.75);
  /* 0.5 s intervals: one per half second, the last may be folded. */
  g_assert_cmpuint (r->samples->len, >=, config->duration_s * 2 - 1);
  g_assert_cmpuint (r->samples->len, <=, config->duration_s * 2 + 1);

  if (config->direction != WS_DIRECTION_DOWNLOAD)
    check_flow (r, &r->upload, WS_DIRECTION_UPLOAD);
  else
    g_assert_false (r->upload.measured);
  if (config->direction != WS_DIRECTION_UPLOAD)
    check_flow (r, &r->download, WS_DIRECTION_DOWNLOAD);
  else
    g_assert_false (r->download.measured);
  g_assert_false (r->interrupted);
}

static void
run_and_check (const char  *target,
               WsDirection  direction,
               guint        streams)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  WsServerStats stats;
  WsTestConfig config;
  WsTestRun run = { 0 };

  ws_test_config_for (&config, server, target, 2);
  config.direction = direction;
  config.streams = streams;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  check_result (run.result, &config);
  g_assert_cmpuint (run.samples, ==, run.result->samples->len);

  /* The server's own books agree with what the client was told. */
  ws_test_wait_idle (server, 5);
  ws_server_get_stats (server, &stats);
  g_assert_cmpuint (stats.sessions_completed, ==, 1);
  g_assert_cmpuint (stats.bytes_received, ==, run.result->upload.receiver_bytes);
  g_assert_cmpuint (stats.bytes_sent, ==, run.result->download.sender_bytes);

  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

static void
test_upload (void)
{
  run_and_check ("127.0.0.1", WS_DIRECTION_UPLOAD, 1);
}

static void
test_download_ipv6 (void)
{
  if (!have_ipv6_loopback ())
    {
      g_test_skip ("no IPv6 loopback");
      return;
    }
  run_and_check ("::1", WS_DIRECTION_DOWNLOAD, 2);
}

static void
test_bidir (void)
{
  run_and_check ("localhost", WS_DIRECTION_BIDIR, 2);
}

static void
test_upload_parallel (void)
{
  run_and_check ("127.0.0.1", WS_DIRECTION_UPLOAD, 4);
}

static void
test_stop_early (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  WsTestConfig config;
  WsTestRun run = { 0 };

  ws_test_config_for (&config, server, "127.0.0.1", 30);
  config.direction = WS_DIRECTION_BIDIR;
  run.cancel_after_samples = 2;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  g_assert_true (run.result->interrupted);
  g_assert_cmpfloat (run.result->elapsed_s, <, 5);
  g_assert_cmpfloat (run.result->elapsed_s, >=, 1);
  check_flow (run.result, &run.result->upload, WS_DIRECTION_UPLOAD);
  check_flow (run.result, &run.result->download, WS_DIRECTION_DOWNLOAD);
  ws_test_wait_idle (server, 5);

  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

static void
test_cancel_before_start (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  WsTestConfig config;
  WsTestRun run = { 0 };

  ws_test_config_for (&config, server, "127.0.0.1", 5);
  run.cancellable = g_cancellable_new ();
  g_cancellable_cancel (run.cancellable);
  ws_test_run (&run, &config);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (run.result);

  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

typedef struct {
  guint pending;
  WsResult *results[3];
  GError *errors[3];
} Many;

static void
many_done (GObject *source, GAsyncResult *res, gpointer data)
{
  Many *many = data;
  guint i = GPOINTER_TO_UINT (g_object_get_data (source, "index"));

  many->results[i] = ws_client_run_finish (WS_CLIENT (source), res, &many->errors[i]);
  many->pending--;
}

/* iperf3 serves one client at a time; we serve them all at once. */
static void
test_concurrent_clients (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (8, 5);
  WsClient *clients[3];
  WsTestConfig config;
  Many many = { 3 };

  ws_test_config_for (&config, server, "127.0.0.1", 2);
  for (guint i = 0; i < 3; i++)
    {
      config.direction = i;
      clients[i] = ws_client_new ();
      g_object_set_data (G_OBJECT (clients[i]), "index", GUINT_TO_POINTER (i));
      ws_client_run_async (clients[i], &config, NULL, many_done, &many);
    }
  while (many.pending > 0)
    g_main_context_iteration (NULL, TRUE);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_no_error (many.errors[i]);
      config.direction = i;
      check_result (many.results[i], &config);
      ws_result_unref (many.results[i]);
      g_object_unref (clients[i]);
    }
  ws_test_config_clear (&config);
}

static void
busy_done (GObject *source, GAsyncResult *res, gpointer data)
{
  WsTestRun *run = data;

  run->result = ws_client_run_finish (WS_CLIENT (source), res, &run->error);
}

static void
test_busy (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (1, 5);
  g_autoptr(WsClient) first = ws_client_new ();
  WsTestRun first_run = { 0 }, second_run = { 0 };
  WsTestConfig config;

  ws_test_config_for (&config, server, "127.0.0.1", 3);
  ws_client_run_async (first, &config, NULL, busy_done, &first_run);
  while (ws_server_get_n_sessions (server) == 0)
    g_main_context_iteration (NULL, FALSE);

  config.duration_s = 1;
  ws_test_run (&second_run, &config);
  g_assert_error (second_run.error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BUSY);
  g_assert_nonnull (strstr (second_run.error->message, "busy"));

  while (first_run.result == NULL && first_run.error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (first_run.error);
  g_assert_cmpuint (first_run.result->upload.receiver_bytes, >, 0);

  ws_test_run_clear (&first_run);
  ws_test_run_clear (&second_run);
  ws_test_config_clear (&config);
}

static void
assert_member (JsonObject *object, const char *key)
{
  if (!json_object_has_member (object, key))
    g_error ("JSON lacks “%s”", key);
}

static void
test_json_contract (void)
{
  static const char *top[] = { "wirespeed_version", "test", "target", "port", "direction",
                               "streams", "duration_s", "start_time", "intervals", "summary",
                               "local_address", "client_address" };
  static const char *interval[] = { "start_s", "end_s", "upload_bps", "download_bps",
                                    "retransmits", "rtt_ms" };
  static const char *summary[] = { "upload_bps", "download_bps", "upload_bytes",
                                   "download_bytes", "retransmits" };
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *o, *s, *first;
  WsTestConfig config;
  WsTestRun run = { 0 };

  ws_test_config_for (&config, server, "127.0.0.1", 1);
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  root = ws_result_to_json (run.result);
  o = json_node_get_object (root);
  for (guint i = 0; i < G_N_ELEMENTS (top); i++)
    assert_member (o, top[i]);
  g_assert_cmpstr (json_object_get_string_member (o, "wirespeed_version"), ==, PACKAGE_VERSION);
  g_assert_cmpstr (json_object_get_string_member (o, "test"), ==, "TCP_STREAM");
  g_assert_cmpstr (json_object_get_string_member (o, "direction"), ==, "upload");
  g_assert_cmpint (json_object_get_int_member (o, "port"), ==, config.port);
  g_assert_cmpint (json_object_get_int_member (o, "duration_s"), ==, 1);
  /* Loopback: the server saw the very address and port the client has. */
  g_assert_true (g_str_has_prefix (json_object_get_string_member (o, "local_address"), "127.0.0.1:"));
  g_assert_cmpstr (json_object_get_string_member (o, "client_address"), ==,
                   json_object_get_string_member (o, "local_address"));

  first = json_array_get_object_element (json_object_get_array_member (o, "intervals"), 0);
  for (guint i = 0; i < G_N_ELEMENTS (interval); i++)
    assert_member (first, interval[i]);
  g_assert_true (json_object_get_null_member (first, "download_bps"));
  g_assert_cmpfloat (json_object_get_double_member (first, "upload_bps"), >, 0);

  s = json_object_get_object_member (o, "summary");
  for (guint i = 0; i < G_N_ELEMENTS (summary); i++)
    assert_member (s, summary[i]);
  g_assert_true (json_object_get_null_member (s, "download_bps"));
  g_assert_true (json_object_get_null_member (s, "download_bytes"));
  g_assert_cmpint (json_object_get_int_member (s, "upload_bytes"), ==,
                   run.result->upload.receiver_bytes);

  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

/* The server's side, byte by byte: CLIENT_ADDRESS right after HELLO_REPLY,
 * only for a client that announced it, with the address its accept saw. */
static GSocket *
hello_raw (WsServer      *server,
           GSocketFamily  family,
           guint32        capabilities,
           WsMessage     *reply)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (family);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, ws_server_get_port (server));
  g_autoptr(GError) error = NULL;
  GSocket *socket = g_socket_new (family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  WsMessage msg;

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, sa, NULL, &error));
  g_socket_set_blocking (socket, FALSE);
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = WS_PROTOCOL_V2;
  msg.u.hello.capabilities = capabilities;
  g_assert_true (ws_io_send_message (socket, &msg, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_true (ws_io_read_message (socket, reply, ws_now_ns () + 10 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (reply->type, ==, WS_MSG_HELLO_REPLY);
  return socket;
}

static void
check_client_address (WsServer      *server,
                      GSocketFamily  family,
                      guint8         wire_family)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = NULL;
  g_autofree char *mine = NULL;
  WsMessage msg;

  socket = hello_raw (server, family, WS_CAP_CLIENT_ADDRESS | 0x80000000u, &msg);
  /* Echoed, and nothing the server does not know. */
  g_assert_cmpuint (msg.u.hello_reply.capabilities, ==, WS_CAP_CLIENT_ADDRESS);
  g_assert_true (ws_io_read_message (socket, &msg, ws_now_ns () + 10 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (msg.type, ==, WS_MSG_CLIENT_ADDRESS);
  g_assert_cmpuint (msg.u.client_address.family, ==, wire_family);
  local = g_socket_get_local_address (socket, &error);
  g_assert_cmpuint (msg.u.client_address.port, ==,
                    g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  seen = ws_client_address_format (&msg.u.client_address);
  mine = ws_address_format (local);
  g_assert_cmpstr (seen, ==, mine);
}

static void
test_client_address_raw (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  g_autoptr(GSocket) old = NULL;
  g_autoptr(GError) error = NULL;
  WsMessage msg;

  /* The dual-stack listener sees ::ffff:127.0.0.1 and sends IPv4. */
  check_client_address (server, G_SOCKET_FAMILY_IPV4, WS_ADDRESS_FAMILY_IPV4);
  if (have_ipv6_loopback ())
    check_client_address (server, G_SOCKET_FAMILY_IPV6, WS_ADDRESS_FAMILY_IPV6);

  /* A client that did not ask (0.1.0) gets TEST_ACCEPT next, as before. */
  old = hello_raw (server, G_SOCKET_FAMILY_IPV4, WS_CAP_TEST_GRANT, &msg);
  g_assert_cmpuint (msg.u.hello_reply.capabilities, ==, WS_CAP_TEST_GRANT);
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  msg.u.request = (WsTestRequest) {
    .mode = WS_TEST_TCP_RR, .streams = 1, .duration_ms = 1000, .interval_ms = 1000,
    .length = 1, .rr_request_size = 1, .rr_response_size = 1,
  };
  g_assert_true (ws_io_send_message (old, &msg, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_true (ws_io_read_message (old, &msg, ws_now_ns () + 10 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (msg.type, ==, WS_MSG_TEST_ACCEPT);
}

/* ------------------------------------------------------------------ */
/* The server's other tests, as TEST_GRANT counts them                  */

/* JSON's server_tests as a number, or -1 for null. */
static gint64
json_server_tests (WsResult *r)
{
  g_autoptr(JsonNode) root = ws_result_to_json (r);
  JsonNode *node = json_object_get_member (json_node_get_object (root), "server_tests");

  g_assert_nonnull (node);
  if (JSON_NODE_HOLDS_NULL (node))
    return -1;
  g_assert_cmpint (json_node_get_value_type (node), ==, G_TYPE_INT64);
  return json_node_get_int (node);
}

/* One test of @seconds to the end; returns what the server said. */
static gint
run_counted (WsServer *server,
             guint16   port,
             guint     seconds)
{
  WsTestConfig config;
  WsTestRun run = { 0 };
  gint n;

  ws_test_config_for (&config, server, "127.0.0.1", seconds);
  config.port = port;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.result->upload.receiver_bytes, >, 0);
  n = run.result->server_tests;
  g_assert_cmpint (json_server_tests (run.result), ==, n);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
  return n;
}

/* Alone on the server, a test is told 0: a count, not "unknown". */
static void
test_server_tests_alone (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);

  g_assert_cmpint (run_counted (server, ws_server_get_port (server), 1), ==, 0);
}

/* A minute's upload, once its first interval is in: from then on the
 * server runs it until @run's cancellable is cancelled. */
static WsClient *
start_long_test (WsServer     *server,
                 WsTestRun    *run,
                 WsTestConfig *config)
{
  WsClient *client = ws_client_new ();

  ws_test_config_for (config, server, "127.0.0.1", 60);
  run->cancellable = g_cancellable_new ();
  g_signal_connect (client, "sample", G_CALLBACK (ws_test_on_sample), run);
  ws_client_run_async (client, config, run->cancellable, busy_done, run);
  while (run->samples == 0 && run->result == NULL && run->error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (run->error);
  g_assert_null (run->result);
  return client;
}

/* An HTTP connection kept alive after one answered request: it holds one
 * of the server's slots until it closes (docs/PROTOCOL.md section 9.3). */
static GSocket *
open_http (WsServer *server)
{
  static const char request[] = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, ws_server_get_port (server));
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_set_timeout (socket, 20);
  g_assert_true (g_socket_connect (socket, sa, NULL, &error));
  g_assert_cmpint (g_socket_send (socket, request, strlen (request), NULL, &error), ==,
                   strlen (request));
  while (strstr (answer->str, "\r\n\r\n") == NULL)
    {
      char buf[512];
      gssize n = g_socket_receive (socket, buf, sizeof buf, NULL, &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, >, 0);
      g_string_append_len (answer, buf, n);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 200"));
  return socket;
}

/* With one long test running, the next is told 1; an HTTP connection
 * counts as one more, as it does against --max-clients; and each test
 * whose client has returned is gone from the count, so that a phase
 * never counts the one before it. */
static void
test_server_tests_busy (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (8, 10);
  guint16 port = ws_server_get_port (server);
  g_autoptr(WsClient) first = NULL;
  g_autoptr(GSocket) http = NULL;
  WsTestRun long_run = { 0 };
  WsTestConfig long_config;

  first = start_long_test (server, &long_run, &long_config);
  g_assert_cmpint (run_counted (server, port, 1), ==, 1);
  http = open_http (server);
  g_assert_cmpint (run_counted (server, port, 1), ==, 2);

  g_cancellable_cancel (long_run.cancellable);
  while (long_run.result == NULL && long_run.error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (long_run.error);
  g_assert_true (long_run.result->interrupted);
  /* It was alone when it was granted. */
  g_assert_cmpint (long_run.result->server_tests, ==, 0);
  g_assert_cmpint (run_counted (server, port, 1), ==, 1);

  ws_test_run_clear (&long_run);
  ws_test_config_clear (&long_config);
}

/* The raw TEST_GRANT after a HELLO with @capabilities: which bits came
 * back, and the count (0, reserved, unless SERVER_TESTS came back). */
static guint32
grant_raw (WsServer *server,
           guint32   capabilities,
           guint32  *echoed)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GError) error = NULL;
  WsMessage msg;

  socket = hello_raw (server, G_SOCKET_FAMILY_IPV4, capabilities, &msg);
  *echoed = msg.u.hello_reply.capabilities;
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  msg.u.request = (WsTestRequest) {
    .mode = WS_TEST_TCP_RR, .streams = 1, .duration_ms = 1000, .interval_ms = 1000,
    .length = 1, .rr_request_size = 1, .rr_response_size = 1,
  };
  g_assert_true (ws_io_send_message (socket, &msg, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_true (ws_io_read_message (socket, &msg, ws_now_ns () + 10 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_cmpuint (msg.type, ==, WS_MSG_TEST_ACCEPT);
  g_assert_true (ws_io_read_message (socket, &msg, ws_now_ns () + 10 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (msg.type, ==, WS_MSG_TEST_GRANT);
  return msg.u.grant.server_tests;
}

/* The server's side, byte by byte: the count goes only to a client that
 * asked for it, and only with TEST_GRANT, which carries it; a client that
 * did not ask (one that predates the bit) gets zeros there, as before. */
static void
test_server_tests_raw (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (8, 10);
  g_autoptr(GSocket) other = NULL;
  g_autoptr(GSocket) no_grant = NULL;
  guint32 echoed;
  WsMessage msg;

  /* A session waiting for its request holds a slot, as a running one does. */
  other = hello_raw (server, G_SOCKET_FAMILY_IPV4, 0, &msg);
  g_assert_cmpuint (grant_raw (server, WS_CAP_TEST_GRANT | WS_CAP_SERVER_TESTS, &echoed), ==, 1);
  g_assert_cmpuint (echoed, ==, WS_CAP_TEST_GRANT | WS_CAP_SERVER_TESTS);
  g_assert_cmpuint (grant_raw (server, WS_CAP_TEST_GRANT, &echoed), ==, 0);
  g_assert_cmpuint (echoed, ==, WS_CAP_TEST_GRANT);
  no_grant = hello_raw (server, G_SOCKET_FAMILY_IPV4, WS_CAP_SERVER_TESTS, &msg);
  g_assert_cmpuint (msg.u.hello_reply.capabilities, ==, 0);
}

/* A server older than the count sends zeros where it would be: the
 * result says "unknown" (-1, JSON null), never 0. */
static void
test_server_tests_old_server (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  g_autoptr(TcpProxy) proxy = tcp_proxy_start (ws_server_get_port (server), TRUE);

  g_assert_cmpint (run_counted (server, proxy->port, 1), ==, -1);
}

typedef struct {
  GThread *thread;      /* the test's own */
  GArray *seen;         /* guint, n-sessions at each notification */
  gboolean wrong_thread;
} NotifyLog;

static void
on_n_sessions (WsServer   *server,
               GParamSpec *pspec,
               NotifyLog  *log)
{
  guint n;

  g_object_get (server, "n-sessions", &n, NULL);
  g_array_append_val (log->seen, n);
  if (g_thread_self () != log->thread)
    log->wrong_thread = TRUE;
}

static void
wait_notified (GMainContext *context,
               NotifyLog    *log,
               guint         value)
{
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (log->seen->len == 0 || g_array_index (log->seen, guint, log->seen->len - 1) != value)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (context, FALSE);
      g_usleep (1000);
    }
}

/* WsServer:n-sessions is notified on the main context that started the
 * server, when a session is claimed (at HELLO) and when it ends, so a face
 * needs no poll. */
static void
test_n_sessions_notify (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(WsServer) server = NULL;
  g_autoptr(GSocket) socket = NULL;
  NotifyLog log = { g_thread_self (), g_array_new (FALSE, FALSE, sizeof (guint)), FALSE };
  WsMessage msg;

  g_main_context_push_thread_default (context);
  server = ws_test_server_new (4, 10);
  g_signal_connect (server, "notify::n-sessions", G_CALLBACK (on_n_sessions), &log);
  /* Nothing runs, nothing is said. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (log.seen->len, ==, 0);

  socket = hello_raw (server, G_SOCKET_FAMILY_IPV4, 0, &msg);
  wait_notified (context, &log, 1);
  g_socket_close (socket, NULL);
  wait_notified (context, &log, 0);
  g_assert_false (log.wrong_thread);

  ws_server_stop (server);
  g_signal_handlers_disconnect_by_data (server, &log);
  g_array_unref (log.seen);
  g_main_context_pop_thread_default (context);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/loopback/upload", test_upload);
  g_test_add_func ("/loopback/download-ipv6", test_download_ipv6);
  g_test_add_func ("/loopback/bidir", test_bidir);
  g_test_add_func ("/loopback/upload-parallel", test_upload_parallel);
  g_test_add_func ("/loopback/stop-early", test_stop_early);
  g_test_add_func ("/loopback/cancel-before-start", test_cancel_before_start);
  g_test_add_func ("/loopback/concurrent-clients", test_concurrent_clients);
  g_test_add_func ("/loopback/busy", test_busy);
  g_test_add_func ("/loopback/json-contract", test_json_contract);
  g_test_add_func ("/loopback/client-address-raw", test_client_address_raw);
  g_test_add_func ("/loopback/n-sessions-notify", test_n_sessions_notify);
  g_test_add_func ("/loopback/server-tests/alone", test_server_tests_alone);
  g_test_add_func ("/loopback/server-tests/busy", test_server_tests_busy);
  g_test_add_func ("/loopback/server-tests/raw", test_server_tests_raw);
  g_test_add_func ("/loopback/server-tests/old-server", test_server_tests_old_server);
  return g_test_run ();
}
