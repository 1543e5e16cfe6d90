/* test-robustness.c — hostile and broken peers against a real server
 *
 * Every case ends with the server still serving a real client correctly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-io.h"
#include "ws-protocol.h"
#include "ws-test-util.h"
#include "ws-time.h"

#define IDLE_TIMEOUT_S 1

typedef struct {
  WsServer *server;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->server = ws_test_server_new (8, IDLE_TIMEOUT_S);
}

/* The point of every test: whatever happened, a real test still works. */
static void
assert_still_serving (WsServer *server)
{
  WsTestConfig config;
  WsTestRun run = { 0 };

  ws_test_config_for (&config, server, "127.0.0.1", 1);
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.result->upload.receiver_bytes, >, 0);
  g_assert_cmpuint (run.result->upload.receiver_bytes, ==, run.result->upload.sender_bytes);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  assert_still_serving (f->server);
  ws_test_wait_idle (f->server, 5);
  g_assert_finalize_object (f->server);
}

static GSocket *
connect_raw (WsServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, ws_server_get_port (server));
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, sa, NULL, &error));
  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

static void
send_bytes (GSocket *socket, const void *data, gsize n)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ws_io_write_all (socket, data, n, ws_now_ns () + WS_NSEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
}

static void
send_message (GSocket *socket, const WsMessage *msg)
{
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  gsize n = ws_message_encode (msg, buf, sizeof buf);

  g_assert_cmpuint (n, >, 0);
  send_bytes (socket, buf, n);
}

static void
read_message (GSocket *socket, WsMessage *msg)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (ws_io_read_message (socket, msg, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
  g_assert_no_error (error);
}

/* Expects an ERROR with @code, then the server closing the connection. */
static void
expect_error_then_close (GSocket *socket, WsProtocolError code)
{
  WsMessage msg;

  read_message (socket, &msg);
  g_assert_cmpuint (msg.version, ==, WS_PROTOCOL_V2);
  g_assert_cmpuint (msg.type, ==, WS_MSG_ERROR);
  g_assert_cmpuint (msg.u.error.code, ==, code);
  g_assert_cmpstr (msg.u.error.text, !=, "");
}

/* The server closes within @max_s seconds (and not before @min_s). */
static void
expect_close (GSocket *socket, gdouble min_s, gdouble max_s)
{
  gint64 start = ws_now_ns ();
  g_autoptr(GError) error = NULL;
  guint8 byte;
  gdouble took;

  g_assert_false (ws_io_read_exact (socket, &byte, 1, start + (gint64) (max_s * 1e9), NULL, &error));
  took = (ws_now_ns () - start) / 1e9;
  /* EOF or a reset, never a timeout of ours. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
  g_assert_cmpfloat (took, >=, min_s);
}

/* Another protocol, even one whose first word looks like a method (HTTP
 * itself is served: test-http-server.c). */
static void
test_other_protocol (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  const char *other = data;
  WsMessage msg;

  send_bytes (s, other, strlen (other));
  read_message (s, &msg);
  g_assert_cmpuint (msg.type, ==, WS_MSG_ERROR);
  g_assert_cmpuint (msg.u.error.code, ==, WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION);
  g_assert_cmpuint (msg.u.error.value, ==, WS_PROTOCOL_MAX_VERSION);
  expect_close (s, 0, 3);
}

static void
test_future_version (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  const guint8 v3_hello[] = { 0x03, 0x01, 0x00, 0x00 };

  send_bytes (s, v3_hello, sizeof v3_hello);
  expect_error_then_close (s, WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION);
  expect_close (s, 0, 3);
}

static void
test_unknown_type (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  const guint8 bogus[] = { 0x02, 0x55, 0x00, 0x00 };

  send_bytes (s, bogus, sizeof bogus);
  expect_error_then_close (s, WS_PROTOCOL_ERROR_UNKNOWN_TYPE);
  expect_close (s, 0, 3);
}

static void
test_oversized_length (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  const guint8 huge[] = { 0x02, 0x01, 0xff, 0xff };

  send_bytes (s, huge, sizeof huge);
  expect_error_then_close (s, WS_PROTOCOL_ERROR_BAD_MESSAGE);
  expect_close (s, 0, 3);
}

static void
test_random_garbage (Fixture *f, gconstpointer data)
{
  for (guint round = 0; round < 50; round++)
    {
      g_autoptr(GSocket) s = connect_raw (f->server);
      guint8 junk[512];
      gsize n = g_test_rand_int_range (1, sizeof junk);

      for (gsize i = 0; i < n; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      /* Junk that happens to start like a version 1 or 2 message is still
       * junk; only the first byte decides the path through the server. */
      send_bytes (s, junk, n);
      g_socket_close (s, NULL);
    }
}

static void
test_silent_connection (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);

  expect_close (s, IDLE_TIMEOUT_S * 0.9, IDLE_TIMEOUT_S + 3);
}

static void
test_truncated_message (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  const guint8 half_hello[] = { 0x02, 0x01, 0x00, 0x0c, 'W', 'S' };

  send_bytes (s, half_hello, sizeof half_hello);
  expect_close (s, IDLE_TIMEOUT_S * 0.9, IDLE_TIMEOUT_S + 3);
}

static GSocket *
hello (WsServer *server)
{
  GSocket *s = connect_raw (server);
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = 2;
  send_message (s, &msg);
  read_message (s, &msg);
  g_assert_cmpuint (msg.type, ==, WS_MSG_HELLO_REPLY);
  return s;
}

static void
request (GSocket *s, WsDirection direction, guint duration_ms, WsTestAccept *accept)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  msg.u.request = (WsTestRequest) {
    .mode = WS_TEST_TCP_STREAM, .direction = direction, .streams = 1,
    .duration_ms = duration_ms, .interval_ms = 1000, .length = 65536,
    .rr_request_size = 1, .rr_response_size = 1,
  };
  send_message (s, &msg);
  read_message (s, &msg);
  g_assert_cmpuint (msg.type, ==, WS_MSG_TEST_ACCEPT);
  *accept = msg.u.accept;
}

static GSocket *
open_stream (WsServer *server, const guint8 *cookie, guint id, WsStreamRole role)
{
  GSocket *s = connect_raw (server);
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_STREAM_HELLO);
  memcpy (msg.u.stream_hello.cookie, cookie, WS_COOKIE_SIZE);
  msg.u.stream_hello.stream_id = id;
  msg.u.stream_hello.role = role;
  send_message (s, &msg);
  return s;
}

static void
test_silent_after_hello (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = hello (f->server);

  expect_close (s, IDLE_TIMEOUT_S * 0.9, IDLE_TIMEOUT_S + 3);
  ws_test_wait_idle (f->server, 3);
}

static void
test_invalid_request (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = hello (f->server);
  WsMessage msg;
  guint8 buf[WS_MESSAGE_MAX_SIZE];

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  msg.u.request = (WsTestRequest) {
    .mode = WS_TEST_TCP_STREAM, .streams = 1, .duration_ms = 1000, .interval_ms = 1000,
    .length = 1000, .rr_request_size = 1, .rr_response_size = 1,
  };
  g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, 44);
  buf[4 + 2] = 0x10; /* 4096 streams */
  send_bytes (s, buf, 44);
  expect_error_then_close (s, WS_PROTOCOL_ERROR_INVALID_VALUE);
}

/* A mode from a newer client: refused with a reason, not silence. */
static void
test_unknown_mode (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = hello (f->server);
  WsMessage msg;
  guint8 buf[WS_MESSAGE_MAX_SIZE];

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  msg.u.request = (WsTestRequest) {
    .mode = WS_TEST_UDP_RR, .streams = 1, .duration_ms = 1000, .interval_ms = 1000,
    .length = 1000, .rr_request_size = 1, .rr_response_size = 1,
  };
  g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, 44);
  buf[4] = 0x09;
  send_bytes (s, buf, 44);
  expect_error_then_close (s, WS_PROTOCOL_ERROR_INVALID_VALUE);
}

static void
test_unknown_cookie (Fixture *f, gconstpointer data)
{
  const guint8 cookie[WS_COOKIE_SIZE] = { 0xde, 0xad };
  g_autoptr(GSocket) s = open_stream (f->server, cookie, 0, WS_ROLE_CLIENT_SENDS);

  expect_error_then_close (s, WS_PROTOCOL_ERROR_UNKNOWN_SESSION);
}

static void
test_streams_never_arrive (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = hello (f->server);
  WsTestAccept accept;

  request (s, WS_DIRECTION_UPLOAD, 5000, &accept);
  expect_error_then_close (s, WS_PROTOCOL_ERROR_TIMEOUT);
  ws_test_wait_idle (f->server, 3);
}

static void
test_wrong_role_and_duplicate (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = hello (f->server);
  g_autoptr(GSocket) wrong = NULL;
  g_autoptr(GSocket) first = NULL;
  g_autoptr(GSocket) again = NULL;
  WsTestAccept accept;
  WsMessage msg;

  request (s, WS_DIRECTION_UPLOAD, 5000, &accept);
  wrong = open_stream (f->server, accept.cookie, 0, WS_ROLE_SERVER_SENDS);
  expect_error_then_close (wrong, WS_PROTOCOL_ERROR_INVALID_VALUE);
  first = open_stream (f->server, accept.cookie, 0, WS_ROLE_CLIENT_SENDS);
  /* TEST_START says the first one is in: only then is the next a duplicate. */
  read_message (s, &msg);
  g_assert_cmpuint (msg.type, ==, WS_MSG_TEST_START);
  again = open_stream (f->server, accept.cookie, 0, WS_ROLE_CLIENT_SENDS);
  expect_error_then_close (again, WS_PROTOCOL_ERROR_INVALID_VALUE);
  g_socket_close (s, NULL);
  g_socket_close (first, NULL);
  ws_test_wait_idle (f->server, 5);
}

/* A client that starts a test and vanishes: the session ends, the server
 * does not wait for the test's full duration. */
static void
test_vanish_mid_test (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = hello (f->server);
  g_autoptr(GSocket) down = NULL;
  WsTestAccept accept;
  WsMessage msg;
  guint8 buf[65536];
  gsize got = 0;

  request (s, WS_DIRECTION_DOWNLOAD, 30000, &accept);
  down = open_stream (f->server, accept.cookie, 0, WS_ROLE_SERVER_SENDS);
  read_message (s, &msg);
  g_assert_cmpuint (msg.type, ==, WS_MSG_TEST_START);
  while (got < 1000000)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (ws_io_wait_readable (down, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, &error));
      got += MAX (0, g_socket_receive (down, (char *) buf, sizeof buf, NULL, NULL));
    }
  g_socket_close (s, NULL);
  g_socket_close (down, NULL);
  ws_test_wait_idle (f->server, 3);
}

/* A client that keeps its control connection quiet during a test is idle. */
static void
test_silent_mid_test (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = hello (f->server);
  g_autoptr(GSocket) up = NULL;
  WsTestAccept accept;
  WsMessage msg;

  request (s, WS_DIRECTION_UPLOAD, 30000, &accept);
  up = open_stream (f->server, accept.cookie, 0, WS_ROLE_CLIENT_SENDS);
  read_message (s, &msg);
  g_assert_cmpuint (msg.type, ==, WS_MSG_TEST_START);
  ws_test_wait_idle (f->server, IDLE_TIMEOUT_S + 3);
}

/* A UDP socket sending from @ip (any address of 127/8 is this machine). */
static GSocket *
udp_from (const char *ip)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (address, 0);
  g_autoptr(GError) error = NULL;
  GSocket *udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (udp, local, FALSE, &error));
  g_assert_no_error (error);
  return udp;
}

/* The data port counts the control connection's host only: datagrams from
 * 127.0.0.2, sent between the client's, do not inflate the count. */
static void
test_legacy_udp_count (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  g_autoptr(GSocket) udp = udp_from ("127.0.0.1");
  g_autoptr(GSocket) other = udp_from ("127.0.0.2");
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) to = NULL;
  const guint8 request_udp[] = { 0x01, 0x01, 0x03 };
  const guint8 done[] = { 0x01, 0x03 };
  guint8 reply[4], results[10];
  guint64 count = 0;
  guint16 port;

  send_bytes (s, request_udp, sizeof request_udp);
  g_assert_true (ws_io_read_exact (s, reply, 4, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, NULL));
  g_assert_cmpuint (reply[0], ==, 0x01);
  g_assert_cmpuint (reply[1], ==, 0x02);
  port = (reply[2] << 8) | reply[3];
  g_assert_cmpuint (port, !=, 0);

  to = g_inet_socket_address_new (lo, port);
  for (guint i = 0; i < 100; i++)
    {
      g_assert_cmpint (g_socket_send_to (udp, to, "ping", 4, NULL, NULL), ==, 4);
      g_assert_cmpint (g_socket_send_to (other, to, "fake", 4, NULL, NULL), ==, 4);
      if (i % 10 == 9)
        g_usleep (1000); /* stay well inside the socket buffer */
    }
  g_usleep (100000);
  send_bytes (s, done, sizeof done);
  g_assert_true (ws_io_read_exact (s, results, 10, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, NULL));
  g_assert_cmpuint (results[0], ==, 0x01);
  g_assert_cmpuint (results[1], ==, 0x04);
  for (guint i = 2; i < 10; i++)
    count = (count << 8) | results[i];
  g_assert_cmpuint (count, ==, 100);
  expect_close (s, 0, 3);
}

static void
test_legacy_bad_type (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  const guint8 bad[] = { 0x01, 0x01, 0x07 };

  send_bytes (s, bad, sizeof bad);
  expect_error_then_close (s, WS_PROTOCOL_ERROR_INVALID_VALUE);
}

static void
test_legacy_silent (Fixture *f, gconstpointer data)
{
  g_autoptr(GSocket) s = connect_raw (f->server);
  const guint8 request_tcp[] = { 0x01, 0x01, 0x01 };
  guint8 reply[4];

  send_bytes (s, request_tcp, sizeof request_tcp);
  g_assert_true (ws_io_read_exact (s, reply, 4, ws_now_ns () + 5 * WS_NSEC_PER_SEC, NULL, NULL));
  expect_close (s, IDLE_TIMEOUT_S * 0.9, IDLE_TIMEOUT_S + 3);
  ws_test_wait_idle (f->server, 3);
}

/* Many broken peers at once while a real test runs beside them. */
static void
test_flood_during_test (Fixture *f, gconstpointer data)
{
  GPtrArray *sockets = g_ptr_array_new_with_free_func (g_object_unref);
  WsTestConfig config;
  WsTestRun run = { 0 };

  for (guint i = 0; i < 100; i++)
    {
      GSocket *s = connect_raw (f->server);

      if (i % 2)
        send_bytes (s, "\x02\x01\x00", 3); /* half a header, then silence */
      g_ptr_array_add (sockets, s);
    }
  ws_test_config_for (&config, f->server, "127.0.0.1", 2);
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.result->upload.receiver_bytes, ==, run.result->upload.sender_bytes);
  g_assert_cmpuint (run.result->upload.receiver_bytes, >, 0);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
  g_ptr_array_unref (sockets);
}

static void
test_stop_with_sessions (void)
{
  WsServer *server = ws_test_server_new (4, 30);
  g_autoptr(GSocket) silent = connect_raw (server);
  g_autoptr(GSocket) s = hello (server);
  gint64 start = ws_now_ns ();

  /* Stopping must not wait for the 30 s idle timeout of either. */
  ws_server_stop (server);
  g_assert_cmpint (ws_now_ns () - start, <, 3 * WS_NSEC_PER_SEC);
  g_assert_finalize_object (server);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
#define ADD_DATA(path, fn, data) g_test_add (path, Fixture, data, fixture_setup, fn, fixture_teardown)
  ADD_DATA ("/robustness/other-protocol/ssh", test_other_protocol, "SSH-2.0-OpenSSH_9.2p1\r\n");
  ADD_DATA ("/robustness/other-protocol/not-a-method", test_other_protocol,
            "GETS / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ADD ("/robustness/future-version", test_future_version);
  ADD ("/robustness/unknown-type", test_unknown_type);
  ADD ("/robustness/oversized-length", test_oversized_length);
  ADD ("/robustness/random-garbage", test_random_garbage);
  ADD ("/robustness/silent-connection", test_silent_connection);
  ADD ("/robustness/truncated-message", test_truncated_message);
  ADD ("/robustness/silent-after-hello", test_silent_after_hello);
  ADD ("/robustness/invalid-request", test_invalid_request);
  ADD ("/robustness/unknown-mode", test_unknown_mode);
  ADD ("/robustness/unknown-cookie", test_unknown_cookie);
  ADD ("/robustness/streams-never-arrive", test_streams_never_arrive);
  ADD ("/robustness/wrong-role-and-duplicate", test_wrong_role_and_duplicate);
  ADD ("/robustness/vanish-mid-test", test_vanish_mid_test);
  ADD ("/robustness/silent-mid-test", test_silent_mid_test);
  ADD ("/robustness/legacy-udp-count", test_legacy_udp_count);
  ADD ("/robustness/legacy-bad-type", test_legacy_bad_type);
  ADD ("/robustness/legacy-silent", test_legacy_silent);
  ADD ("/robustness/flood-during-test", test_flood_during_test);
#undef ADD
  g_test_add_func ("/robustness/stop-with-sessions", test_stop_with_sessions);
  return g_test_run ();
}
