/* fuzz-gen-corpus.c — writes the binary seeds of tests/fuzz/corpus
 *
 *   fuzz-gen-corpus CORPUS_DIR
 *
 * Valid messages of every type, made by the codec's own encoders so that
 * they stay valid as it changes, a few whole sessions as a client reads
 * them, UDP datagram sequences, iperf3's binary pieces (cookie, UDP
 * headers, connect datagrams), and the edge cases the fuzzer should start
 * from. corpus/iperf3's JSON seeds are files captured from iperf3 itself. Run by hand after a protocol change (README.md); the output is
 * committed, and the replay tests check every file stays harmless.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-iperf3.h"
#include "ws-protocol.h"

static const char *corpus_dir;

static const guint8 cookie[WS_COOKIE_SIZE] = {
  0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
  0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
};

static void
write_seed (const char *harness,
            const char *name,
            GByteArray *bytes)
{
  g_autofree char *dir = g_build_filename (corpus_dir, harness, NULL);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (dir, 0755);
  if (!g_file_set_contents (path, (const char *) bytes->data, bytes->len, &error))
    g_error ("%s", error->message);
}

static void
write_raw (const char   *harness,
           const char   *name,
           const guint8 *data,
           gsize         len)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  g_byte_array_append (bytes, data, len);
  write_seed (harness, name, bytes);
}

static void
append_message (GByteArray      *bytes,
                const WsMessage *msg)
{
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  gsize n = ws_message_encode (msg, buf, sizeof buf);

  g_assert (n > 0);
  g_byte_array_append (bytes, buf, n);
}

static void
write_message (const char      *name,
               const WsMessage *msg)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  append_message (bytes, msg);
  write_seed ("control", name, bytes);
}

static WsTestRequest
request_for (WsTestMode  mode,
             WsDirection direction,
             guint16     streams,
             guint32     flags)
{
  return (WsTestRequest) {
    .mode = mode, .direction = direction, .streams = streams,
    .duration_ms = 3000, .interval_ms = 1000, .length = mode == WS_TEST_UDP_STREAM ? 1400 : 131072,
    .bitrate = mode == WS_TEST_UDP_STREAM ? 10000000 : 0,
    .rr_request_size = 64, .rr_response_size = 256, .flags = flags,
  };
}

static void
write_messages (void)
{
  static const guint8 bad_utf8[] = "bad \xff\xfe utf-8";
  WsMessage m;

  for (guint t = WS_TEST_TCP_STREAM; t <= WS_TEST_UDP_RR; t++)
    {
      g_autofree char *name = g_strdup_printf ("v1-test-request-%s", ws_test_mode_to_string (t));

      ws_message_init (&m, WS_PROTOCOL_V1, WS_V1_TEST_REQUEST);
      m.u.v1_request.test_type = t;
      write_message (name, &m);
    }
  ws_message_init (&m, WS_PROTOCOL_V1, WS_V1_TEST_REPLY);
  m.u.v1_reply.port = 40123;
  write_message ("v1-test-reply", &m);
  ws_message_init (&m, WS_PROTOCOL_V1, WS_V1_TEST_DONE);
  write_message ("v1-test-done", &m);
  ws_message_init (&m, WS_PROTOCOL_V1, WS_V1_TEST_RESULTS);
  m.u.v1_results.udp_packets = 86000;
  write_message ("v1-test-results", &m);

  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_HELLO);
  m.u.hello.max_version = 2;
  write_message ("hello", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_HELLO_REPLY);
  m.u.hello_reply.version = 2;
  m.u.hello_reply.flags = WS_HELLO_FLAG_AUTH_REQUIRED;
  for (guint i = 0; i < WS_NONCE_SIZE; i++)
    m.u.hello_reply.nonce[i] = i * 7;
  write_message ("hello-reply", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_AUTH);
  g_strlcpy (m.u.auth.name, "alice", sizeof m.u.auth.name);
  memset (m.u.auth.mac, 0xa5, WS_AUTH_MAC_SIZE);
  write_message ("auth", &m);

  for (guint t = WS_TEST_TCP_STREAM; t <= WS_TEST_UDP_RR; t++)
    {
      g_autofree char *name = g_strdup_printf ("test-request-%s", ws_test_mode_to_string (t));

      ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
      m.u.request = request_for (t, WS_DIRECTION_BIDIR, 4, WS_REQUEST_FLAG_PROBE);
      write_message (name, &m);
    }
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  m.u.request = request_for (WS_TEST_TCP_STREAM, WS_DIRECTION_BIDIR, WS_MAX_STREAMS,
                             WS_REQUEST_FLAG_PROBE);
  m.u.request.duration_ms = WS_MAX_DURATION_MS;
  m.u.request.interval_ms = WS_MIN_INTERVAL_MS;
  write_message ("test-request-limits", &m);

  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_ACCEPT);
  memcpy (m.u.accept.cookie, cookie, WS_COOKIE_SIZE);
  m.u.accept.streams = 4;
  m.u.accept.duration_ms = 3000;
  m.u.accept.length = 131072;
  write_message ("test-accept", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_GRANT);
  m.u.grant.bitrate = 2500000;
  write_message ("test-grant", &m);
  m.u.grant.server_tests = 3;
  write_message ("test-grant-server-tests", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_BYTES);
  m.u.test_bytes.bytes = 10000000;
  write_message ("test-bytes", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_CLIENT_ADDRESS);
  m.u.client_address.family = WS_ADDRESS_FAMILY_IPV6;
  m.u.client_address.port = 53210;
  m.u.client_address.address[0] = 0x20;
  m.u.client_address.address[1] = 0x01;
  m.u.client_address.address[2] = 0x0d;
  m.u.client_address.address[3] = 0xb8;
  m.u.client_address.address[15] = 0x01;
  write_message ("client-address-ipv6", &m);
  memset (m.u.client_address.address, 0, sizeof m.u.client_address.address);
  m.u.client_address.family = WS_ADDRESS_FAMILY_IPV4;
  m.u.client_address.address[0] = 192;
  m.u.client_address.address[2] = 2;
  m.u.client_address.address[3] = 7;
  write_message ("client-address-ipv4", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_STREAM_HELLO);
  memcpy (m.u.stream_hello.cookie, cookie, WS_COOKIE_SIZE);
  m.u.stream_hello.stream_id = 256;
  m.u.stream_hello.role = WS_ROLE_PROBE;
  write_message ("stream-hello", &m);
  m.type = WS_MSG_STREAM_ACK;
  write_message ("stream-ack", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_START);
  write_message ("test-start", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_KEEPALIVE);
  write_message ("keepalive", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_DONE);
  m.u.done.elapsed_ns = 3000123456;
  write_message ("test-done", &m);

  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_INTERVAL);
  m.u.interval = (WsInterval) {
    .stream_id = 1, .role = WS_ROLE_SERVER_SENDS, .flags = WS_INTERVAL_FLAG_FINAL, .index = 2,
    .start_ns = 2000000000, .end_ns = 3000000000, .bytes_sent = 125000000,
    .bytes_received = 0, .packets_received = 89000, .retransmits = 3,
    .snd_cwnd = 640000, .rtt_us = 850,
  };
  write_message ("interval", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_STREAM_RESULT);
  m.u.stream_result = (WsStreamResult) {
    .stream_id = 0, .role = WS_ROLE_CLIENT_SENDS, .duration_ns = 3000000000,
    .bytes_sent = 0, .bytes_received = 375000000, .packets_received = 267000, .retransmits = 0,
  };
  write_message ("stream-result", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_RESULTS_END);
  m.u.results_end.streams = 9;
  m.u.results_end.intervals = 3;
  write_message ("results-end", &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_UDP_STATS);
  m.u.udp_stats = (WsUdpStatsMessage) {
    .stream_id = 0, .flags = WS_UDP_STATS_FLAG_FINAL | WS_UDP_STATS_FLAG_TOTAL, .index = 2,
    .packets_received = 88000, .packets_lost = 1000, .out_of_order = 12,
    .duplicates = 1, .jitter_ns = 35000,
  };
  write_message ("udp-stats", &m);

  ws_message_init_error (&m, WS_PROTOCOL_ERROR_BUSY, 4, "Server busy: 4 tests running");
  write_message ("error-busy", &m);
  ws_message_init_error (&m, WS_PROTOCOL_ERROR_INVALID_VALUE, 0,
                         "Une valeur invalide — « mode » n’est pas 1–4, et ce texte est "
                         "assez long pour être coupé au milieu d’un caractère multi-octets ✓✓✓");
  write_message ("error-long-utf8", &m);
  ws_message_init_error (&m, WS_PROTOCOL_ERROR_INTERNAL, 0, NULL);
  memcpy (m.u.error.text, bad_utf8, sizeof bad_utf8);
  write_message ("error-bad-utf8", &m);
}

/* Frames the decoder must refuse, and the first bytes of other protocols
 * that share the port. */
static void
write_edge_cases (void)
{
  static const guint8 v1_bad_type[] = { 0x01, 0x01, 0x05 };
  static const guint8 v1_unknown[] = { 0x01, 0x09 };
  static const guint8 v2_oversize[] = { 0x02, 0x01, 0x01, 0x00 };
  static const guint8 v2_unknown[] = { 0x02, 0x42, 0x00, 0x03, 0xaa, 0xbb, 0xcc };
  static const guint8 v2_wrong_length[] = { 0x02, 0x06, 0x00, 0x01, 0x00 };
  static const guint8 v2_truncated[] = { 0x02, 0x08, 0x00, 0x40, 0x00, 0x01 };
  static const guint8 tls_hello[] = { 0x16, 0x03, 0x01, 0x00, 0xf1, 0x01 };
  static const guint8 address_bad_family[24] = { 0x02, 0x11, 0x00, 0x14, 0x05, 0x00, 0x14, 0x51, 0x7f };
  static const char iperf3_cookie[] = "abcdefghijklmnopqrstuvwxyz234567abcd";

  write_raw ("control", "edge-empty", NULL, 0);
  write_raw ("control", "edge-v1-bad-test-type", v1_bad_type, sizeof v1_bad_type);
  write_raw ("control", "edge-v1-unknown-type", v1_unknown, sizeof v1_unknown);
  write_raw ("control", "edge-v2-oversize", v2_oversize, sizeof v2_oversize);
  write_raw ("control", "edge-v2-unknown-type", v2_unknown, sizeof v2_unknown);
  write_raw ("control", "edge-v2-wrong-length", v2_wrong_length, sizeof v2_wrong_length);
  write_raw ("control", "edge-v2-truncated", v2_truncated, sizeof v2_truncated);
  write_raw ("control", "edge-tls-client-hello", tls_hello, sizeof tls_hello);
  write_raw ("control", "edge-client-address-bad-family", address_bad_family,
             sizeof address_bad_family);
  write_raw ("control", "edge-iperf3-cookie", (const guint8 *) iperf3_cookie,
             sizeof iperf3_cookie);
}

/* What a client reads on its control connection during a whole test,
 * preceded by the request and the grant that set the stream layout. */
static void
write_session (const char          *name,
               const WsTestRequest *request)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  guint n = ws_test_request_n_streams (request);
  guint intervals = 3;
  WsMessage m;

  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_REQUEST);
  m.u.request = *request;
  append_message (bytes, &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_ACCEPT);
  memcpy (m.u.accept.cookie, cookie, WS_COOKIE_SIZE);
  m.u.accept.streams = request->streams;
  m.u.accept.duration_ms = request->duration_ms;
  m.u.accept.length = request->length;
  append_message (bytes, &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_GRANT);
  m.u.grant.bitrate = request->bitrate;
  append_message (bytes, &m);
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_START);
  append_message (bytes, &m);

  for (guint i = 0; i < intervals; i++)
    {
      if (i == intervals - 1)
        {
          ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_TEST_DONE);
          m.u.done.elapsed_ns = 3000000000;
          append_message (bytes, &m);
        }
      for (guint id = 0; id < n; id++)
        {
          WsStreamRole role = ws_test_request_stream_role (request, id);

          ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_INTERVAL);
          m.u.interval = (WsInterval) {
            .stream_id = id, .role = role, .index = i,
            .flags = i == intervals - 1 ? WS_INTERVAL_FLAG_FINAL : 0,
            .start_ns = i * 1000000000ull, .end_ns = (i + 1) * 1000000000ull,
            .bytes_sent = role == WS_ROLE_SERVER_SENDS ? 1250000 : 0,
            .bytes_received = role == WS_ROLE_CLIENT_SENDS ? 1250000 : 0,
            .packets_received = 900, .retransmits = i, .snd_cwnd = 64000, .rtt_us = 400,
          };
          append_message (bytes, &m);
          if (role == WS_ROLE_CLIENT_SENDS && ws_test_mode_is_udp (request->mode))
            {
              ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_UDP_STATS);
              m.u.udp_stats = (WsUdpStatsMessage) {
                .stream_id = id, .index = i,
                .flags = i == intervals - 1 ? WS_UDP_STATS_FLAG_FINAL : 0,
                .packets_received = 890, .packets_lost = 10, .out_of_order = 2,
                .duplicates = 1, .jitter_ns = 20000,
              };
              append_message (bytes, &m);
            }
        }
    }
  for (guint id = 0; id < n; id++)
    {
      WsStreamRole role = ws_test_request_stream_role (request, id);

      ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_STREAM_RESULT);
      m.u.stream_result = (WsStreamResult) {
        .stream_id = id, .role = role, .duration_ns = 3000000000,
        .bytes_sent = role == WS_ROLE_SERVER_SENDS ? 3750000 : 0,
        .bytes_received = role == WS_ROLE_CLIENT_SENDS ? 3750000 : 0,
        .packets_received = 2700, .retransmits = 3,
      };
      append_message (bytes, &m);
      if (role == WS_ROLE_CLIENT_SENDS && ws_test_mode_is_udp (request->mode))
        {
          ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_UDP_STATS);
          m.u.udp_stats = (WsUdpStatsMessage) {
            .stream_id = id, .flags = WS_UDP_STATS_FLAG_TOTAL,
            .packets_received = 2670, .packets_lost = 30, .out_of_order = 6,
            .duplicates = 3, .jitter_ns = 21000,
          };
          append_message (bytes, &m);
        }
    }
  ws_message_init (&m, WS_PROTOCOL_V2, WS_MSG_RESULTS_END);
  m.u.results_end.streams = n;
  m.u.results_end.intervals = intervals;
  append_message (bytes, &m);
  write_seed ("control", name, bytes);
}

/* fuzz-udp's framing: length, gap in µs, datagram. */
static void
append_datagram (GByteArray   *bytes,
                 guint8        gap_us,
                 const guint8 *data,
                 gsize         len)
{
  guint8 prefix[2] = { len, gap_us };

  g_assert (len <= 255);
  g_byte_array_append (bytes, prefix, 2);
  g_byte_array_append (bytes, data, len);
}

static void
append_data (GByteArray *bytes,
             guint8      flags,
             guint64     seq,
             guint64     send_ns,
             gsize       len)
{
  WsUdpHeader h = { flags, 0, 0, seq, send_ns };
  guint8 buf[255] = { 0 };

  ws_udp_header_encode (&h, buf, sizeof buf);
  append_datagram (bytes, 100, buf, MAX (len, WS_UDP_HEADER_SIZE));
}

static void
append_hello (GByteArray   *bytes,
              const guint8 *with_cookie,
              guint8        type)
{
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  WsMessage m;
  gsize n;

  ws_message_init (&m, WS_PROTOCOL_V2, type);
  memcpy (m.u.stream_hello.cookie, with_cookie, WS_COOKIE_SIZE);
  m.u.stream_hello.stream_id = 3;
  n = ws_message_encode (&m, buf, sizeof buf);
  append_datagram (bytes, 10, buf, n);
}

static void
write_udp (void)
{
  static const guint64 reordered[] = { 0, 1, 3, 2, 5, 4, 4, 7, 6, 9, 8, 1 };
  static const guint8 other_cookie[WS_COOKIE_SIZE] = { 1 };
  guint8 raw[WS_UDP_HEADER_SIZE];
  WsUdpHeader h = { WS_UDP_FLAG_REQUEST, 7, 0, 42, 123456789 };

  ws_udp_header_encode (&h, raw, sizeof raw);
  write_raw ("udp", "header-request", raw, sizeof raw);

  {
    g_autoptr(GByteArray) bytes = g_byte_array_new ();

    for (guint64 seq = 0; seq < 16; seq++)
      append_data (bytes, 0, seq, 1000 + seq * 100000, 40);
    write_seed ("udp", "in-order", bytes);
  }
  {
    g_autoptr(GByteArray) bytes = g_byte_array_new ();

    for (guint i = 0; i < G_N_ELEMENTS (reordered); i++)
      append_data (bytes, 0, reordered[i], 5000000 + reordered[i] * 90000, 64);
    write_seed ("udp", "reordered-duplicates", bytes);
  }
  {
    /* Past the 4096-sequence window and back: late, then unknowable. */
    g_autoptr(GByteArray) bytes = g_byte_array_new ();

    append_data (bytes, 0, 0, 0, 24);
    append_data (bytes, 0, 10, 10, 24);
    append_data (bytes, 0, 4100, 4100, 24);
    append_data (bytes, 0, 5, 5, 24);
    append_data (bytes, 0, 10, 10, 24);
    append_data (bytes, 0, 4096 + 4100, 8, 24);
    append_data (bytes, 0, 4100, 9, 24);
    append_data (bytes, 0, G_MAXUINT64, 9, 24);
    append_data (bytes, 0, G_MAXUINT64 - 1, 9, 24);
    write_seed ("udp", "window-edges", bytes);
  }
  {
    g_autoptr(GByteArray) bytes = g_byte_array_new ();
    static const guint8 keepalive[] = { 0x02, 0x0b, 0x00, 0x00 };
    static const guint8 short_data[] = { WS_UDP_MAGIC, 0, 0, 1 };
    static const guint8 not_ours[] = { 0x45, 0x00, 0x00, 0x1c, 0, 0, 0, 0, 0, 0, 0, 0,
                                       0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    append_hello (bytes, cookie, WS_MSG_STREAM_HELLO);
    append_data (bytes, 0, 0, 1000, 100);
    append_hello (bytes, cookie, WS_MSG_STREAM_HELLO);
    append_hello (bytes, other_cookie, WS_MSG_STREAM_HELLO);
    append_hello (bytes, cookie, WS_MSG_STREAM_ACK);
    append_datagram (bytes, 1, keepalive, sizeof keepalive);
    append_datagram (bytes, 1, short_data, sizeof short_data);
    append_datagram (bytes, 1, not_ours, sizeof not_ours);
    append_datagram (bytes, 1, NULL, 0);
    append_data (bytes, WS_UDP_FLAG_RESPONSE, 1, 2000, 255);
    write_seed ("udp", "hello-and-strays", bytes);
  }
}

/* iperf3's UDP headers, alone and as runs of datagrams that arrive late,
 * twice or not at all (fuzz-iperf3 reads a run as consecutive headers). */
static void
write_iperf3_udp_run (const char    *name,
                      gboolean       counters_64bit,
                      const guint64 *pcounts,
                      gsize          n)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  gsize size = ws_iperf3_udp_header_size (counters_64bit);

  for (gsize i = 0; i < n; i++)
    {
      guint8 buf[16];

      ws_iperf3_udp_header_write (buf, counters_64bit,
                                  G_GUINT64_CONSTANT (1700000000000000) + pcounts[i] * 1000 + i * 37,
                                  pcounts[i]);
      g_byte_array_append (bytes, buf, size);
    }
  write_seed ("iperf3", name, bytes);
}

static void
write_iperf3 (void)
{
  static const char cookie_ok[WS_IPERF3_COOKIE_SIZE] = "abcdefghijklmnopqrstuvwxyz234567abcd";
  static const char cookie_no_nul[] = "abcdefghijklmnopqrstuvwxyz234567abcde";
  static const guint64 run[] = { 1, 2, 4, 3, 6, 6, 5, 9, 10 };
  static const guint64 wide_run[] = { 1, G_MAXUINT32, G_GUINT64_CONSTANT (0x100000001), 2,
                                      G_MAXUINT64 - 1, G_MAXUINT64, 7 };
  static const guint8 usec_overflow[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0, 0, 0, 1, 0, 0, 0, 2 };
  guint8 buf[16];
  guint32 v;

  write_raw ("iperf3", "cookie", (const guint8 *) cookie_ok, sizeof cookie_ok);
  write_raw ("iperf3", "cookie-without-nul", (const guint8 *) cookie_no_nul,
             WS_IPERF3_COOKIE_SIZE);

  ws_iperf3_udp_header_write (buf, FALSE, G_GUINT64_CONSTANT (1700000000123456), 42);
  write_raw ("iperf3", "udp-header-32bit", buf, 12);
  ws_iperf3_udp_header_write (buf, TRUE, G_GUINT64_CONSTANT (1700000000123456),
                              G_GUINT64_CONSTANT (0x100000002));
  write_raw ("iperf3", "udp-header-64bit", buf, 16);
  /* More than a million microseconds: a peer may write that. */
  write_raw ("iperf3", "udp-header-usec-overflow", usec_overflow, sizeof usec_overflow);
  write_iperf3_udp_run ("udp-run-32bit", FALSE, run, G_N_ELEMENTS (run));
  write_iperf3_udp_run ("udp-run-64bit", TRUE, wide_run, G_N_ELEMENTS (wide_run));

  /* The connect datagram, as little- and big-endian clients write it. */
  v = GUINT32_TO_LE (WS_IPERF3_UDP_CONNECT_MSG);
  write_raw ("iperf3", "udp-connect", (const guint8 *) &v, 4);
  v = GUINT32_TO_BE (WS_IPERF3_UDP_CONNECT_MSG);
  write_raw ("iperf3", "udp-connect-big-endian", (const guint8 *) &v, 4);
  v = GUINT32_TO_LE (WS_IPERF3_LEGACY_UDP_CONNECT_MSG);
  write_raw ("iperf3", "udp-connect-legacy", (const guint8 *) &v, 4);
  v = GUINT32_TO_BE (WS_IPERF3_LEGACY_UDP_CONNECT_MSG);
  write_raw ("iperf3", "udp-connect-legacy-big-endian", (const guint8 *) &v, 4);
  ws_iperf3_udp_connect_reply (2, FALSE, buf);
  write_raw ("iperf3", "udp-connect-legacy-reply", buf, 4);
}

int
main (int    argc,
      char **argv)
{
  if (argc != 2)
    {
      g_printerr ("Usage: %s CORPUS_DIR\n", argv[0]);
      return 2;
    }
  corpus_dir = argv[1];
  write_messages ();
  write_edge_cases ();
  write_session ("session-udp-bidir-probe",
                 &(WsTestRequest) { .mode = WS_TEST_UDP_STREAM, .direction = WS_DIRECTION_BIDIR,
                                    .streams = 2, .duration_ms = 3000, .interval_ms = 1000,
                                    .length = 1400, .bitrate = 10000000, .rr_request_size = 1,
                                    .rr_response_size = 1, .flags = WS_REQUEST_FLAG_PROBE });
  write_session ("session-tcp-download",
                 &(WsTestRequest) { .mode = WS_TEST_TCP_STREAM, .direction = WS_DIRECTION_DOWNLOAD,
                                    .streams = 3, .duration_ms = 3000, .interval_ms = 1000,
                                    .length = 131072, .rr_request_size = 1,
                                    .rr_response_size = 1 });
  write_session ("session-udp-rr",
                 &(WsTestRequest) { .mode = WS_TEST_UDP_RR, .direction = WS_DIRECTION_UPLOAD,
                                    .streams = 1, .duration_ms = 3000, .interval_ms = 1000,
                                    .length = 64, .rr_request_size = 64,
                                    .rr_response_size = 64 });
  write_udp ();
  write_iperf3 ();
  return 0;
}
