/* test-protocol.c — byte-exact tests of the Wirespeed wire codec
 *
 * Every message type is checked against bytes written out by hand from
 * docs/PROTOCOL.md, then against every truncation, every out-of-range value
 * the codec must refuse, and a deterministic stream of random input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-address.h"
#include "ws-client-address.h"
#include "ws-frame.h"
#include "ws-protocol.h"
#include "ws-report.h"

#define ACCEPTED 0
#define BAD WS_PROTOCOL_ERROR_BAD_MESSAGE
#define INVALID WS_PROTOCOL_ERROR_INVALID_VALUE

#define V1(type) WS_PROTOCOL_V1, WS_V1_##type
#define V2(type) WS_PROTOCOL_V2, WS_MSG_##type

#define COOKIE_BYTES \
  0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, \
  0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf

static const guint8 sample_cookie[WS_COOKIE_SIZE] = { COOKIE_BYTES };

/* Big-endian store, written independently of the codec's own writer. */
static void
put_be (guint8  *p,
        gsize    size,
        guint64  value)
{
  for (gsize i = size; i > 0; i--, value >>= 8)
    p[i - 1] = value & 0xff;
}

static gsize
header_size (guint8 version)
{
  return version == WS_PROTOCOL_V1 ? 2 : WS_V2_HEADER_SIZE;
}

/* ------------------------------------------------------------------ */
/* One sample of every message type and its encoding, written by hand */

static void
fill_v1_request (WsMessage *msg)
{
  msg->u.v1_request.test_type = WS_TEST_UDP_STREAM;
}

static const guint8 v1_request_bytes[] = { 0x01, 0x01, 0x03 };

static void
fill_v1_reply (WsMessage *msg)
{
  msg->u.v1_reply.port = 50001;
}

static const guint8 v1_reply_bytes[] = { 0x01, 0x02, 0xc3, 0x51 };

static const guint8 v1_done_bytes[] = { 0x01, 0x03 };

static void
fill_v1_results (WsMessage *msg)
{
  msg->u.v1_results.udp_packets = G_GUINT64_CONSTANT (0x0102030405060708);
}

static const guint8 v1_results_bytes[] = {
  0x01, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};

static void
fill_hello (WsMessage *msg)
{
  msg->u.hello.max_version = 2;
  msg->u.hello.capabilities = 0xa1b2c3d4;
}

static const guint8 hello_bytes[] = {
  0x02, 0x01, 0x00, 0x0c,
  0x57, 0x53, 0x50, 0x32,       /* "WSP2" */
  0x02, 0x00, 0x00, 0x00,       /* max_version, reserved */
  0xa1, 0xb2, 0xc3, 0xd4,       /* capabilities */
};

static void
fill_hello_reply (WsMessage *msg)
{
  msg->u.hello_reply.version = 2;
  msg->u.hello_reply.capabilities = 0x11223344;
  msg->u.hello_reply.flags = 0x55667788;
  for (guint i = 0; i < WS_NONCE_SIZE; i++)
    msg->u.hello_reply.nonce[i] = 0x20 + i;
}

static const guint8 hello_reply_bytes[] = {
  0x02, 0x02, 0x00, 0x30,
  0x57, 0x53, 0x50, 0x32,
  0x02, 0x00, 0x00, 0x00,
  0x11, 0x22, 0x33, 0x44,
  0x55, 0x66, 0x77, 0x88,
  0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
  0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
  0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
};

static void
fill_request (WsMessage *msg)
{
  WsTestRequest *q = &msg->u.request;

  q->mode = WS_TEST_TCP_STREAM;
  q->direction = WS_DIRECTION_BIDIR;
  q->streams = 4;
  q->duration_ms = 10000;
  q->interval_ms = 1000;
  q->length = 131072;
  q->bitrate = G_GUINT64_CONSTANT (10000000000);
  q->rr_request_size = 1;
  q->rr_response_size = 65507;
  q->flags = 0;
}

static const guint8 request_bytes[] = {
  0x02, 0x03, 0x00, 0x28,
  0x01, 0x02, 0x00, 0x04,                         /* mode, direction, streams */
  0x00, 0x00, 0x27, 0x10,                         /* duration_ms */
  0x00, 0x00, 0x03, 0xe8,                         /* interval_ms */
  0x00, 0x02, 0x00, 0x00,                         /* length */
  0x00, 0x00, 0x00, 0x02, 0x54, 0x0b, 0xe4, 0x00, /* bitrate */
  0x00, 0x00, 0x00, 0x01,                         /* rr_request_size */
  0x00, 0x00, 0xff, 0xe3,                         /* rr_response_size */
  0x00, 0x00, 0x00, 0x00,                         /* flags */
  0x00, 0x00, 0x00, 0x00,                         /* reserved */
};

static void
fill_accept (WsMessage *msg)
{
  memcpy (msg->u.accept.cookie, sample_cookie, WS_COOKIE_SIZE);
  msg->u.accept.streams = 4;
  msg->u.accept.data_port = 5201;
  msg->u.accept.duration_ms = 10000;
  msg->u.accept.length = 131072;
}

static const guint8 accept_bytes[] = {
  0x02, 0x04, 0x00, 0x1c,
  COOKIE_BYTES,
  0x00, 0x04, 0x14, 0x51,
  0x00, 0x00, 0x27, 0x10,
  0x00, 0x02, 0x00, 0x00,
};

static void
fill_stream_hello (WsMessage *msg)
{
  memcpy (msg->u.stream_hello.cookie, sample_cookie, WS_COOKIE_SIZE);
  msg->u.stream_hello.stream_id = 127;
  msg->u.stream_hello.role = WS_ROLE_SERVER_SENDS;
}

static const guint8 stream_hello_bytes[] = {
  0x02, 0x05, 0x00, 0x14,
  COOKIE_BYTES,
  0x00, 0x7f, 0x01, 0x00,
};

static void
fill_stream_ack (WsMessage *msg)
{
  memcpy (msg->u.stream_hello.cookie, sample_cookie, WS_COOKIE_SIZE);
  msg->u.stream_hello.stream_id = 256 - 1;
  msg->u.stream_hello.role = WS_ROLE_PROBE;
}

static const guint8 stream_ack_bytes[] = {
  0x02, 0x0c, 0x00, 0x14,
  COOKIE_BYTES,
  0x00, 0xff, 0x03, 0x00,
};

static void
fill_auth (WsMessage *msg)
{
  g_strlcpy (msg->u.auth.name, "alice", sizeof msg->u.auth.name);
  for (guint i = 0; i < WS_AUTH_MAC_SIZE; i++)
    msg->u.auth.mac[i] = 0xa0 + i;
}

static const guint8 auth_bytes[] = {
  0x02, 0x0e, 0x00, 0x60,
  'a', 'l', 'i', 'c', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
  0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
};

static void
fill_udp_stats (WsMessage *msg)
{
  WsUdpStatsMessage *u = &msg->u.udp_stats;

  u->stream_id = 2;
  u->flags = WS_UDP_STATS_FLAG_FINAL | WS_UDP_STATS_FLAG_TOTAL;
  u->index = 7;
  u->packets_received = G_GUINT64_CONSTANT (0x0102030405060708);
  u->packets_lost = 17;
  u->out_of_order = 3;
  u->duplicates = 1;
  u->jitter_ns = 12345;
}

static const guint8 udp_stats_bytes[] = {
  0x02, 0x0d, 0x00, 0x30,
  0x00, 0x02, 0x03, 0x00,                         /* stream_id, flags, reserved */
  0x00, 0x00, 0x00, 0x07,                         /* index */
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* received */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, /* lost */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, /* out of order */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, /* duplicates */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x39, /* jitter ns */
};

static const guint8 test_start_bytes[] = { 0x02, 0x06, 0x00, 0x00 };

static void
fill_grant (WsMessage *msg)
{
  msg->u.grant.bitrate = G_GUINT64_CONSTANT (2500000);
  msg->u.grant.server_tests = 0x01020304;
}

static const guint8 grant_bytes[] = {
  0x02, 0x10, 0x00, 0x0c,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x26, 0x25, 0xa0, /* bitrate 2.5 Mbit/s */
  0x01, 0x02, 0x03, 0x04,                         /* server_tests 16 909 060 */
};

static const guint8 ipv6_2001_db8_1[16] = {
  0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
};

static void
fill_client_address (WsMessage *msg)
{
  msg->u.client_address.family = WS_ADDRESS_FAMILY_IPV6;
  msg->u.client_address.port = 53210;
  memcpy (msg->u.client_address.address, ipv6_2001_db8_1, 16);
}

static const guint8 client_address_bytes[] = {
  0x02, 0x12, 0x00, 0x14,
  0x06, 0x00, 0xcf, 0xda,                         /* family 6, reserved, port 53210 */
  0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* 2001:db8::1 */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
};

static void
fill_collect (WsMessage *msg)
{
  msg->u.collect.report_version = WS_REPORT_VERSION;
  msg->u.collect.flags = WS_COLLECT_FLAG_RELAY;
}

static const guint8 collect_bytes[] = {
  0x02, 0x13, 0x00, 0x08,
  0x00, 0x01, 0x00, 0x01,                         /* version 1, flag RELAY */
  0x00, 0x00, 0x00, 0x00,                         /* reserved */
};

static void
fill_collect_accept (WsMessage *msg)
{
  msg->u.collect_accept.max_report = WS_REPORT_DEFAULT_MAX;
  msg->u.collect_accept.window = 32;
}

static const guint8 collect_accept_bytes[] = {
  0x02, 0x14, 0x00, 0x0c,
  0x00, 0x10, 0x00, 0x00, 0x00, 0x20,             /* 1 MiB, window 32 */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00,             /* reserved */
};

static void
fill_test_bytes (WsMessage *msg)
{
  msg->u.test_bytes.bytes = G_GUINT64_CONSTANT (10000000001);
}

static const guint8 test_bytes_bytes[] = {
  0x02, 0x11, 0x00, 0x0c,
  0x00, 0x00, 0x00, 0x02, 0x54, 0x0b, 0xe4, 0x01, /* bytes 10 000 000 001 */
  0x00, 0x00, 0x00, 0x00,                         /* reserved */
};

static void
fill_done (WsMessage *msg)
{
  msg->u.done.elapsed_ns = G_GUINT64_CONSTANT (10000000001);
}

static const guint8 done_bytes[] = {
  0x02, 0x07, 0x00, 0x08,
  0x00, 0x00, 0x00, 0x02, 0x54, 0x0b, 0xe4, 0x01,
};

static void
fill_interval (WsMessage *msg)
{
  WsInterval *i = &msg->u.interval;

  i->stream_id = 5;
  i->role = WS_ROLE_CLIENT_SENDS;
  i->flags = WS_INTERVAL_FLAG_FINAL;
  i->index = 9;
  i->start_ns = G_GUINT64_CONSTANT (9000000000);
  i->end_ns = G_GUINT64_CONSTANT (10000000000);
  i->bytes_sent = G_GUINT64_CONSTANT (0x1112131415161718);
  i->bytes_received = G_GUINT64_CONSTANT (0x2122232425262728);
  i->packets_received = G_GUINT64_CONSTANT (0x3132333435363738);
  i->retransmits = 0x41424344;
  i->snd_cwnd = 0x51525354;
  i->rtt_us = 0x61626364;
}

static const guint8 interval_bytes[] = {
  0x02, 0x08, 0x00, 0x40,
  0x00, 0x05, 0x00, 0x01,                         /* stream_id, role, flags */
  0x00, 0x00, 0x00, 0x09,                         /* index */
  0x00, 0x00, 0x00, 0x02, 0x18, 0x71, 0x1a, 0x00, /* start_ns */
  0x00, 0x00, 0x00, 0x02, 0x54, 0x0b, 0xe4, 0x00, /* end_ns */
  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* bytes_sent */
  0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, /* bytes_received */
  0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, /* packets_received */
  0x41, 0x42, 0x43, 0x44,                         /* retransmits */
  0x51, 0x52, 0x53, 0x54,                         /* snd_cwnd */
  0x61, 0x62, 0x63, 0x64,                         /* rtt_us */
  0x00, 0x00, 0x00, 0x00,                         /* reserved */
};

static void
fill_stream_result (WsMessage *msg)
{
  WsStreamResult *r = &msg->u.stream_result;

  r->stream_id = 3;
  r->role = WS_ROLE_SERVER_SENDS;
  r->retransmits = 0x0a0b0c0d;
  r->duration_ns = G_GUINT64_CONSTANT (0x1112131415161718);
  r->bytes_sent = G_GUINT64_CONSTANT (0x2122232425262728);
  r->bytes_received = G_GUINT64_CONSTANT (0x3132333435363738);
  r->packets_received = G_GUINT64_CONSTANT (0x4142434445464748);
}

static const guint8 stream_result_bytes[] = {
  0x02, 0x09, 0x00, 0x28,
  0x00, 0x03, 0x01, 0x00,                         /* stream_id, role, reserved */
  0x0a, 0x0b, 0x0c, 0x0d,                         /* retransmits */
  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, /* duration_ns */
  0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, /* bytes_sent */
  0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, /* bytes_received */
  0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, /* packets_received */
};

static void
fill_results_end (WsMessage *msg)
{
  msg->u.results_end.streams = 2 * WS_MAX_STREAMS;
  msg->u.results_end.intervals = 0x0a0b0c0d;
}

static const guint8 results_end_bytes[] = {
  0x02, 0x0a, 0x00, 0x08,
  0x01, 0x00, 0x00, 0x00,
  0x0a, 0x0b, 0x0c, 0x0d,
};

static const guint8 keepalive_bytes[] = { 0x02, 0x0b, 0x00, 0x00 };

#define ERROR_SAMPLE_TEXT "busy \xe2\x80\x93 8/8"

static void
fill_error (WsMessage *msg)
{
  msg->u.error.code = WS_PROTOCOL_ERROR_BUSY;
  msg->u.error.value = 8;
  strcpy (msg->u.error.text, ERROR_SAMPLE_TEXT);
}

/* The rest of the 124-byte text field is zero. */
static const guint8 error_bytes[132] = {
  0x02, 0x7f, 0x00, 0x80,
  0x00, 0x05, 0x00, 0x08,
  'b', 'u', 's', 'y', ' ', 0xe2, 0x80, 0x93, ' ', '8', '/', '8',
};

typedef struct {
  const char *name;
  guint8 version;
  guint8 type;
  void (*fill) (WsMessage *msg);
  const guint8 *bytes;
  gsize size;
} MessageCase;

#define CASE(name, version_type, fill, bytes) \
  { name, version_type, fill, bytes, sizeof bytes }

static const MessageCase message_cases[] = {
  CASE ("v1/test-request", V1 (TEST_REQUEST), fill_v1_request, v1_request_bytes),
  CASE ("v1/test-reply", V1 (TEST_REPLY), fill_v1_reply, v1_reply_bytes),
  CASE ("v1/test-done", V1 (TEST_DONE), NULL, v1_done_bytes),
  CASE ("v1/test-results", V1 (TEST_RESULTS), fill_v1_results, v1_results_bytes),
  CASE ("v2/hello", V2 (HELLO), fill_hello, hello_bytes),
  CASE ("v2/hello-reply", V2 (HELLO_REPLY), fill_hello_reply, hello_reply_bytes),
  CASE ("v2/test-request", V2 (TEST_REQUEST), fill_request, request_bytes),
  CASE ("v2/test-accept", V2 (TEST_ACCEPT), fill_accept, accept_bytes),
  CASE ("v2/test-grant", V2 (TEST_GRANT), fill_grant, grant_bytes),
  CASE ("v2/test-bytes", V2 (TEST_BYTES), fill_test_bytes, test_bytes_bytes),
  CASE ("v2/client-address", V2 (CLIENT_ADDRESS), fill_client_address, client_address_bytes),
  CASE ("v2/collect", V2 (COLLECT), fill_collect, collect_bytes),
  CASE ("v2/collect-accept", V2 (COLLECT_ACCEPT), fill_collect_accept, collect_accept_bytes),
  CASE ("v2/stream-hello", V2 (STREAM_HELLO), fill_stream_hello, stream_hello_bytes),
  CASE ("v2/test-start", V2 (TEST_START), NULL, test_start_bytes),
  CASE ("v2/test-done", V2 (TEST_DONE), fill_done, done_bytes),
  CASE ("v2/interval", V2 (INTERVAL), fill_interval, interval_bytes),
  CASE ("v2/stream-result", V2 (STREAM_RESULT), fill_stream_result, stream_result_bytes),
  CASE ("v2/results-end", V2 (RESULTS_END), fill_results_end, results_end_bytes),
  CASE ("v2/keepalive", V2 (KEEPALIVE), NULL, keepalive_bytes),
  CASE ("v2/stream-ack", V2 (STREAM_ACK), fill_stream_ack, stream_ack_bytes),
  CASE ("v2/udp-stats", V2 (UDP_STATS), fill_udp_stats, udp_stats_bytes),
  CASE ("v2/auth", V2 (AUTH), fill_auth, auth_bytes),
  CASE ("v2/error", V2 (ERROR), fill_error, error_bytes),
};

static void
sample_message (const MessageCase *c,
                WsMessage         *msg)
{
  ws_message_init (msg, c->version, c->type);
  if (c->fill != NULL)
    c->fill (msg);
}

static gint
case_index (guint8 version,
            guint8 type)
{
  for (guint i = 0; i < G_N_ELEMENTS (message_cases); i++)
    if (message_cases[i].version == version && message_cases[i].type == type)
      return i;
  return -1;
}

static const MessageCase *
find_case (guint8 version,
           guint8 type)
{
  gint i = case_index (version, type);

  g_assert_cmpint (i, >=, 0);
  return &message_cases[i];
}

/* ------------------------------------------------------------------ */
/* Assertion helpers                                                   */

/* Every message compared here was built on a zeroed struct by field
 * stores (ws_message_init(), the decoder, the fill_*() functions above),
 * so padding is zero and the union can be compared byte by byte. */
static void
assert_messages_equal (const WsMessage *a,
                       const WsMessage *b)
{
  g_assert_cmpuint (a->version, ==, b->version);
  g_assert_cmpuint (a->type, ==, b->type);
  /* The error text is a C string: bytes after its NUL carry no meaning. */
  if (a->version == WS_PROTOCOL_V2 && a->type == WS_MSG_ERROR)
    {
      g_assert_cmpuint (a->u.error.code, ==, b->u.error.code);
      g_assert_cmpuint (a->u.error.value, ==, b->u.error.value);
      g_assert_cmpstr (a->u.error.text, ==, b->u.error.text);
    }
  else
    g_assert_cmpmem (&a->u, sizeof a->u, &b->u, sizeof b->u);
}

/* Decodes from a heap copy of exactly @len bytes, so that the sanitizers
 * catch any read past the end. */
static gboolean
decode_exact (const guint8  *bytes,
              gsize          len,
              WsMessage     *msg,
              gsize         *consumed,
              GError       **error)
{
  g_autofree guint8 *copy = g_memdup2 (bytes, len);

  return ws_message_decode (copy, len, msg, consumed, error);
}

static void
assert_decodes (const guint8    *bytes,
                gsize            len,
                const WsMessage *expected,
                gsize            expected_consumed)
{
  g_autoptr(GError) error = NULL;
  WsMessage msg;
  gsize consumed = 0;

  g_assert_true (decode_exact (bytes, len, &msg, &consumed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, expected_consumed);
  assert_messages_equal (&msg, expected);
}

static void
assert_decode_fails (const guint8 *bytes,
                     gsize         len,
                     gint          code,
                     gsize         expected_consumed)
{
  g_autoptr(GError) error = NULL;
  WsMessage msg;
  gsize consumed = 12345;

  g_assert_false (decode_exact (bytes, len, &msg, &consumed, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, code);
  g_assert_cmpuint (consumed, ==, expected_consumed);
  /* The optional out arguments really are optional. */
  g_assert_false (decode_exact (bytes, len, &msg, NULL, NULL));
}

static void
assert_frame_size_fails (const guint8 *bytes,
                         gsize         len,
                         gint          code)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (ws_message_frame_size (bytes, len, &error), ==, -1);
  g_assert_error (error, WS_PROTOCOL_ERROR, code);
}

/* ------------------------------------------------------------------ */
/* Per message type: encoding, round trip, truncation, buffer size     */

static void
test_encode (gconstpointer data)
{
  const MessageCase *c = data;
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;

  sample_message (c, &msg);
  memset (buf, 0xaa, sizeof buf);
  g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, c->size);
  g_assert_cmpmem (buf, c->size, c->bytes, c->size);
  g_assert_cmpuint (buf[c->size], ==, 0xaa);
}

static void
test_roundtrip (gconstpointer data)
{
  const MessageCase *c = data;
  guint8 buf[WS_MESSAGE_MAX_SIZE + 8];
  WsMessage msg;
  gsize n;

  sample_message (c, &msg);
  assert_decodes (c->bytes, c->size, &msg, c->size);

  n = ws_message_encode (&msg, buf, sizeof buf);
  g_assert_cmpuint (n, ==, c->size);
  assert_decodes (buf, n, &msg, n);

  /* Bytes after the message belong to the next one. */
  memset (buf + n, 0x02, 8);
  assert_decodes (buf, n + 8, &msg, n);
  g_assert_cmpint (ws_message_frame_size (buf, n + 8, NULL), ==, n);
}

static void
test_truncated (gconstpointer data)
{
  const MessageCase *c = data;
  gsize known = header_size (c->version);

  for (gsize len = 0; len < c->size; len++)
    {
      g_autofree guint8 *prefix = g_memdup2 (c->bytes, len);
      g_autoptr(GError) error = NULL;

      assert_decode_fails (prefix, len, WS_PROTOCOL_ERROR_TRUNCATED, 0);
      g_assert_cmpint (ws_message_frame_size (prefix, len, &error), ==,
                       len < known ? 0 : (gssize) c->size);
      g_assert_no_error (error);
    }
}

static void
test_short_buffer (gconstpointer data)
{
  const MessageCase *c = data;
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  guint8 untouched[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;

  sample_message (c, &msg);
  memset (untouched, 0xaa, sizeof untouched);
  for (gsize size = 0; size < c->size; size++)
    {
      memset (buf, 0xaa, sizeof buf);
      g_assert_cmpuint (ws_message_encode (&msg, buf, size), ==, 0);
      g_assert_cmpmem (buf, sizeof buf, untouched, sizeof untouched);
    }
  g_assert_cmpuint (ws_message_encode (&msg, NULL, 0), ==, 0);
  g_assert_cmpuint (ws_message_encode (&msg, buf, c->size), ==, c->size);
}

/* A known v2 type whose header announces any other payload length. */
static void
test_wrong_length (gconstpointer data)
{
  const MessageCase *c = data;
  gsize payload = c->size - WS_V2_HEADER_SIZE;
  const gsize lengths[] = { 0, payload - 1, payload + 1, WS_V2_MAX_PAYLOAD };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      guint8 buf[WS_MESSAGE_MAX_SIZE] = { 0, };
      gsize frame = WS_V2_HEADER_SIZE + lengths[i];

      if (lengths[i] == payload || lengths[i] > WS_V2_MAX_PAYLOAD)
        continue;
      memcpy (buf, c->bytes, c->size);
      put_be (buf + 2, 2, lengths[i]);
      assert_decode_fails (buf, frame, BAD, frame);
      g_assert_cmpint (ws_message_frame_size (buf, frame, NULL), ==, frame);
    }
}

/* ------------------------------------------------------------------ */
/* Framing errors                                                      */

typedef struct {
  const char *name;
  const guint8 *bytes;
  gsize size;
} ByteString;

static void
test_unsupported_version (void)
{
  static const guint8 zero[] = { 0x00, 0x01, 0x00, 0x0c };
  static const guint8 v3[] = {
    0x03, 0x01, 0x00, 0x0c, 0x57, 0x53, 0x50, 0x32,
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  static const guint8 ff[] = { 0xff, 0xff, 0xff, 0xff };
  static const guint8 tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
  static const char http[] = "GET / HTTP/1.1\r\nHost: example\r\n\r\n";
  static const char iperf3[] = "u2sztb7lsdy6pn7dvxn7zo5ke6utvtyhaeca";
  const ByteString cases[] = {
    { "0x00", zero, sizeof zero },
    { "0x03", v3, sizeof v3 },
    { "0xff", ff, sizeof ff },
    { "TLS", tls, sizeof tls },
    { "HTTP", (const guint8 *) http, strlen (http) },
    { "iperf3", (const guint8 *) iperf3, sizeof iperf3 },
  };

  g_assert_cmpuint (sizeof iperf3, ==, 37);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("first bytes: %s", cases[i].name);
      assert_decode_fails (cases[i].bytes, cases[i].size,
                           WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION, 0);
      /* The first byte alone is enough to refuse. */
      assert_decode_fails (cases[i].bytes, 1,
                           WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION, 0);
      assert_frame_size_fails (cases[i].bytes, 1,
                               WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION);
    }
}

static void
test_v1_unknown_type (void)
{
  const guint8 types[] = { 0x00, 0x05, 0x7f, 0xff };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      guint8 buf[10] = { 0x01, types[i], };

      /* v1 has no length field: an unknown type cannot be skipped. */
      assert_decode_fails (buf, sizeof buf, WS_PROTOCOL_ERROR_UNKNOWN_TYPE, 0);
      assert_frame_size_fails (buf, 2, WS_PROTOCOL_ERROR_UNKNOWN_TYPE);
      assert_decode_fails (buf, 1, WS_PROTOCOL_ERROR_TRUNCATED, 0);
    }
}

/* A fixed size makes no sense for request/response: refused, not ignored. */
static void
test_bytes_flag_needs_stream_mode (void)
{
  WsMessage msg;
  g_autoptr(GError) error = NULL;

  ws_message_init (&msg, V2 (TEST_REQUEST));
  fill_request (&msg);
  msg.u.request.flags = WS_REQUEST_FLAG_BYTES;
  g_assert_true (ws_test_request_validate (&msg.u.request, NULL));
  msg.u.request.mode = WS_TEST_UDP_STREAM;
  g_assert_true (ws_test_request_validate (&msg.u.request, NULL));
  msg.u.request.mode = WS_TEST_TCP_RR;
  g_assert_false (ws_test_request_validate (&msg.u.request, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  msg.u.request.mode = WS_TEST_UDP_RR;
  g_assert_false (ws_test_request_validate (&msg.u.request, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE);
}

/* The split of a size over streams adds up exactly, larger parts first. */
static void
test_bytes_share (void)
{
  guint64 sum = 0;

  for (guint i = 0; i < 3; i++)
    sum += ws_test_bytes_share (10000001, 3, i);
  g_assert_cmpuint (sum, ==, 10000001);
  g_assert_cmpuint (ws_test_bytes_share (10000001, 3, 0), ==, 3333334);
  g_assert_cmpuint (ws_test_bytes_share (10000001, 3, 1), ==, 3333334);
  g_assert_cmpuint (ws_test_bytes_share (10000001, 3, 2), ==, 3333333);
  g_assert_cmpuint (ws_test_bytes_share (10000000, 4, 3), ==, 2500000);
  g_assert_cmpuint (ws_test_bytes_share (G_MAXINT64, 128, 127) * 128 + 127, ==, G_MAXINT64);
}

static void
test_v2_unknown_type (void)
{
  const struct {
    guint8 type;
    guint16 length;
  } cases[] = {
    { 0x00, 0 }, { 0x0f, 5 }, { 0x7e, WS_V2_MAX_PAYLOAD }, { 0x80, 12 }, { 0xff, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 buf[WS_MESSAGE_MAX_SIZE + sizeof keepalive_bytes];
      gsize frame = WS_V2_HEADER_SIZE + cases[i].length;
      WsMessage keepalive;

      memset (buf, 0xee, sizeof buf);
      buf[0] = WS_PROTOCOL_V2;
      buf[1] = cases[i].type;
      put_be (buf + 2, 2, cases[i].length);
      memcpy (buf + frame, keepalive_bytes, sizeof keepalive_bytes);

      /* *consumed lets the caller skip the unknown message... */
      assert_decode_fails (buf, frame, WS_PROTOCOL_ERROR_UNKNOWN_TYPE, frame);
      g_assert_cmpint (ws_message_frame_size (buf, frame, NULL), ==, frame);
      /* ...and find the next one right after it. */
      ws_message_init (&keepalive, V2 (KEEPALIVE));
      assert_decodes (buf + frame, sizeof keepalive_bytes, &keepalive,
                      sizeof keepalive_bytes);
      if (frame > WS_V2_HEADER_SIZE)
        assert_decode_fails (buf, frame - 1, WS_PROTOCOL_ERROR_TRUNCATED, 0);
    }
}

static void
test_v2_payload_too_large (void)
{
  const guint8 types[] = { WS_MSG_HELLO, WS_MSG_ERROR, 0x0f };
  const guint16 lengths[] = { WS_V2_MAX_PAYLOAD + 1, 0x1000, 0xffff };

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    for (guint l = 0; l < G_N_ELEMENTS (lengths); l++)
      {
        guint8 buf[300] = { WS_PROTOCOL_V2, types[t], };

        put_be (buf + 2, 2, lengths[l]);
        /* Refused from the header alone, before any payload arrives. */
        assert_decode_fails (buf, WS_V2_HEADER_SIZE, BAD, 0);
        assert_decode_fails (buf, sizeof buf, BAD, 0);
        assert_frame_size_fails (buf, WS_V2_HEADER_SIZE, BAD);
      }
}

/* ------------------------------------------------------------------ */
/* Field values: one wire field patched, then accepted or refused      */

typedef struct {
  guint8 version;
  guint8 type;
  const char *field;
  guint offset; /* in the payload, after the header */
  guint size;
  guint64 value;
  gint code;    /* ACCEPTED, or the WsProtocolError expected */
} ValueCase;

static const ValueCase value_cases[] = {
  { V1 (TEST_REQUEST), "test_type", 0, 1, 0, INVALID },
  { V1 (TEST_REQUEST), "test_type", 0, 1, 5, INVALID },
  { V1 (TEST_REQUEST), "test_type", 0, 1, 0xff, INVALID },
  { V1 (TEST_REQUEST), "test_type", 0, 1, WS_TEST_TCP_STREAM, ACCEPTED },
  { V1 (TEST_REQUEST), "test_type", 0, 1, WS_TEST_TCP_RR, ACCEPTED },
  { V1 (TEST_REQUEST), "test_type", 0, 1, WS_TEST_UDP_RR, ACCEPTED },
  { V1 (TEST_REPLY), "port", 0, 2, 0, INVALID },
  { V1 (TEST_REPLY), "port", 0, 2, 1, ACCEPTED },
  { V1 (TEST_REPLY), "port", 0, 2, 65535, ACCEPTED },
  { V1 (TEST_RESULTS), "udp_packets", 0, 8, 0, ACCEPTED },
  { V1 (TEST_RESULTS), "udp_packets", 0, 8, G_MAXUINT64, ACCEPTED },

  { V2 (HELLO), "magic", 0, 4, 0x57535031, BAD }, /* "WSP1" */
  { V2 (HELLO), "magic", 0, 4, 0x32505357, BAD }, /* byte-swapped */
  { V2 (HELLO), "magic", 0, 4, 0, BAD },
  { V2 (HELLO), "max_version", 4, 1, 0, INVALID },
  { V2 (HELLO), "max_version", 4, 1, 1, INVALID },
  { V2 (HELLO), "max_version", 4, 1, 3, ACCEPTED },
  { V2 (HELLO), "max_version", 4, 1, 255, ACCEPTED },
  { V2 (HELLO), "capabilities", 8, 4, 0, ACCEPTED },
  { V2 (HELLO_REPLY), "magic", 0, 4, 0x57535031, BAD },
  { V2 (HELLO_REPLY), "magic", 0, 4, 0, BAD },
  { V2 (HELLO_REPLY), "version", 4, 1, 0, INVALID },
  { V2 (HELLO_REPLY), "version", 4, 1, 1, INVALID },
  { V2 (HELLO_REPLY), "version", 4, 1, 3, INVALID },
  { V2 (HELLO_REPLY), "version", 4, 1, 255, INVALID },
  { V2 (HELLO_REPLY), "flags", 12, 4, 0, ACCEPTED },
  { V2 (HELLO_REPLY), "flags", 12, 4, 1, ACCEPTED },

  { V2 (TEST_REQUEST), "mode", 0, 1, 0, INVALID },
  { V2 (TEST_REQUEST), "mode", 0, 1, 5, INVALID },
  { V2 (TEST_REQUEST), "mode", 0, 1, 0xff, INVALID },
  { V2 (TEST_REQUEST), "mode", 0, 1, WS_TEST_TCP_RR, ACCEPTED },
  { V2 (TEST_REQUEST), "mode", 0, 1, WS_TEST_UDP_STREAM, ACCEPTED },
  { V2 (TEST_REQUEST), "mode", 0, 1, WS_TEST_UDP_RR, ACCEPTED },
  { V2 (TEST_REQUEST), "direction", 1, 1, 3, INVALID },
  { V2 (TEST_REQUEST), "direction", 1, 1, 0xff, INVALID },
  { V2 (TEST_REQUEST), "direction", 1, 1, WS_DIRECTION_UPLOAD, ACCEPTED },
  { V2 (TEST_REQUEST), "direction", 1, 1, WS_DIRECTION_DOWNLOAD, ACCEPTED },
  { V2 (TEST_REQUEST), "streams", 2, 2, 0, INVALID },
  { V2 (TEST_REQUEST), "streams", 2, 2, WS_MAX_STREAMS + 1, INVALID },
  { V2 (TEST_REQUEST), "streams", 2, 2, 0xffff, INVALID },
  { V2 (TEST_REQUEST), "streams", 2, 2, 1, ACCEPTED },
  { V2 (TEST_REQUEST), "streams", 2, 2, WS_MAX_STREAMS, ACCEPTED },
  { V2 (TEST_REQUEST), "duration_ms", 4, 4, 0, INVALID },
  { V2 (TEST_REQUEST), "duration_ms", 4, 4, WS_MIN_DURATION_MS - 1, INVALID },
  { V2 (TEST_REQUEST), "duration_ms", 4, 4, WS_MAX_DURATION_MS + 1, INVALID },
  { V2 (TEST_REQUEST), "duration_ms", 4, 4, G_MAXUINT32, INVALID },
  { V2 (TEST_REQUEST), "duration_ms", 4, 4, 100, ACCEPTED },
  { V2 (TEST_REQUEST), "duration_ms", 4, 4, 86400000, ACCEPTED },
  { V2 (TEST_REQUEST), "interval_ms", 8, 4, 0, INVALID },
  { V2 (TEST_REQUEST), "interval_ms", 8, 4, WS_MIN_INTERVAL_MS - 1, INVALID },
  { V2 (TEST_REQUEST), "interval_ms", 8, 4, WS_MAX_INTERVAL_MS + 1, INVALID },
  { V2 (TEST_REQUEST), "interval_ms", 8, 4, 100, ACCEPTED },
  { V2 (TEST_REQUEST), "interval_ms", 8, 4, 3600000, ACCEPTED },
  { V2 (TEST_REQUEST), "length", 12, 4, 0, INVALID },
  { V2 (TEST_REQUEST), "length", 12, 4, WS_MAX_LENGTH + 1, INVALID },
  { V2 (TEST_REQUEST), "length", 12, 4, 1, ACCEPTED },
  { V2 (TEST_REQUEST), "length", 12, 4, 16777216, ACCEPTED },
  { V2 (TEST_REQUEST), "bitrate", 16, 8, 0, ACCEPTED },
  { V2 (TEST_REQUEST), "bitrate", 16, 8, G_MAXUINT64, ACCEPTED },
  { V2 (TEST_REQUEST), "rr_request_size", 24, 4, 0, INVALID },
  { V2 (TEST_REQUEST), "rr_request_size", 24, 4, WS_MAX_RR_SIZE + 1, INVALID },
  { V2 (TEST_REQUEST), "rr_request_size", 24, 4, 65507, ACCEPTED },
  { V2 (TEST_REQUEST), "rr_response_size", 28, 4, 0, INVALID },
  { V2 (TEST_REQUEST), "rr_response_size", 28, 4, WS_MAX_RR_SIZE + 1, INVALID },
  { V2 (TEST_REQUEST), "rr_response_size", 28, 4, 1, ACCEPTED },
  { V2 (TEST_REQUEST), "flags", 32, 4, 4, INVALID },
  { V2 (TEST_REQUEST), "flags", 32, 4, WS_REQUEST_FLAG_PROBE, ACCEPTED },
  { V2 (TEST_REQUEST), "flags", 32, 4, WS_REQUEST_FLAG_BYTES, ACCEPTED },
  { V2 (TEST_REQUEST), "flags", 32, 4, WS_REQUEST_FLAG_BYTES | WS_REQUEST_FLAG_PROBE, ACCEPTED },
  { V2 (TEST_REQUEST), "flags", 32, 4, 0x80000000, INVALID },

  { V2 (TEST_BYTES), "bytes", 0, 8, 0, INVALID },
  { V2 (TEST_BYTES), "bytes", 0, 8, G_MAXUINT64, INVALID },
  { V2 (TEST_BYTES), "bytes", 0, 8, (guint64) G_MAXINT64 + 1, INVALID },
  { V2 (TEST_BYTES), "bytes", 0, 8, 1, ACCEPTED },
  { V2 (TEST_BYTES), "bytes", 0, 8, G_MAXINT64, ACCEPTED },

  { V2 (TEST_ACCEPT), "streams", 16, 2, 0, INVALID },
  { V2 (TEST_ACCEPT), "streams", 16, 2, WS_MAX_STREAMS + 1, INVALID },
  { V2 (TEST_ACCEPT), "streams", 16, 2, 1, ACCEPTED },
  { V2 (TEST_ACCEPT), "streams", 16, 2, WS_MAX_STREAMS, ACCEPTED },
  { V2 (TEST_ACCEPT), "data_port", 18, 2, 0, ACCEPTED },
  { V2 (TEST_ACCEPT), "data_port", 18, 2, 65535, ACCEPTED },
  { V2 (TEST_ACCEPT), "duration_ms", 20, 4, WS_MIN_DURATION_MS - 1, INVALID },
  { V2 (TEST_ACCEPT), "duration_ms", 20, 4, WS_MAX_DURATION_MS + 1, INVALID },
  { V2 (TEST_ACCEPT), "duration_ms", 20, 4, 100, ACCEPTED },
  { V2 (TEST_ACCEPT), "duration_ms", 20, 4, 86400000, ACCEPTED },
  { V2 (TEST_ACCEPT), "length", 24, 4, 0, INVALID },
  { V2 (TEST_ACCEPT), "length", 24, 4, WS_MAX_LENGTH + 1, INVALID },
  { V2 (TEST_ACCEPT), "length", 24, 4, 1, ACCEPTED },
  { V2 (TEST_ACCEPT), "length", 24, 4, 16777216, ACCEPTED },

  { V2 (STREAM_HELLO), "stream_id", 16, 2, WS_MAX_STREAM_IDS, INVALID },
  { V2 (STREAM_HELLO), "stream_id", 16, 2, WS_MAX_STREAM_IDS - 1, ACCEPTED },
  { V2 (STREAM_HELLO), "stream_id", 16, 2, 0xffff, INVALID },
  { V2 (STREAM_HELLO), "stream_id", 16, 2, 0, ACCEPTED },
  { V2 (STREAM_HELLO), "role", 18, 1, 4, INVALID },
  { V2 (STREAM_HELLO), "role", 18, 1, WS_ROLE_PROBE, ACCEPTED },
  { V2 (STREAM_HELLO), "role", 18, 1, 0xff, INVALID },
  { V2 (STREAM_HELLO), "role", 18, 1, WS_ROLE_CLIENT_SENDS, ACCEPTED },

  { V2 (TEST_DONE), "elapsed_ns", 0, 8, 0, ACCEPTED },
  { V2 (TEST_DONE), "elapsed_ns", 0, 8, G_MAXUINT64, ACCEPTED },

  { V2 (INTERVAL), "stream_id", 0, 2, WS_MAX_STREAM_IDS, INVALID },
  { V2 (INTERVAL), "stream_id", 0, 2, WS_MAX_STREAM_IDS - 1, ACCEPTED },
  { V2 (INTERVAL), "role", 2, 1, 4, INVALID },
  { V2 (INTERVAL), "role", 2, 1, WS_ROLE_SERVER_SENDS, ACCEPTED },
  { V2 (INTERVAL), "flags", 3, 1, 0, ACCEPTED },
  { V2 (INTERVAL), "flags", 3, 1, 0xff, ACCEPTED },
  { V2 (INTERVAL), "end_ns", 16, 8, G_GUINT64_CONSTANT (8999999999), INVALID },
  { V2 (INTERVAL), "end_ns", 16, 8, 0, INVALID },
  { V2 (INTERVAL), "end_ns", 16, 8, G_GUINT64_CONSTANT (9000000000), ACCEPTED },
  { V2 (INTERVAL), "start_ns", 8, 8, G_GUINT64_CONSTANT (10000000001), INVALID },
  { V2 (INTERVAL), "start_ns", 8, 8, G_GUINT64_CONSTANT (10000000000), ACCEPTED },

  { V2 (STREAM_RESULT), "stream_id", 0, 2, WS_MAX_STREAM_IDS, INVALID },
  { V2 (STREAM_RESULT), "stream_id", 0, 2, WS_MAX_STREAM_IDS - 1, ACCEPTED },
  { V2 (STREAM_RESULT), "role", 2, 1, 4, INVALID },
  { V2 (STREAM_RESULT), "role", 2, 1, 0xff, INVALID },
  { V2 (STREAM_RESULT), "role", 2, 1, WS_ROLE_CLIENT_SENDS, ACCEPTED },

  { V2 (RESULTS_END), "streams", 0, 2, WS_MAX_STREAM_IDS + 1, INVALID },
  { V2 (RESULTS_END), "streams", 0, 2, WS_MAX_STREAM_IDS, ACCEPTED },
  { V2 (RESULTS_END), "streams", 0, 2, 0xffff, INVALID },
  { V2 (RESULTS_END), "streams", 0, 2, 0, ACCEPTED },

  { V2 (COLLECT), "report_version", 0, 2, 0, INVALID },
  { V2 (COLLECT), "report_version", 0, 2, 2, INVALID },
  { V2 (COLLECT), "flags", 2, 2, 2, INVALID },
  { V2 (COLLECT), "flags", 2, 2, 0x8000, INVALID },
  { V2 (COLLECT), "flags", 2, 2, 0, ACCEPTED },
  { V2 (COLLECT_ACCEPT), "max_report", 0, 4, WS_REPORT_MIN_MAX - 1, INVALID },
  { V2 (COLLECT_ACCEPT), "max_report", 0, 4, WS_REPORT_MIN_MAX, ACCEPTED },
  { V2 (COLLECT_ACCEPT), "max_report", 0, 4, WS_REPORT_MAX_MAX, ACCEPTED },
  { V2 (COLLECT_ACCEPT), "max_report", 0, 4, WS_REPORT_MAX_MAX + 1, INVALID },
  { V2 (COLLECT_ACCEPT), "window", 4, 2, 0, INVALID },
  { V2 (COLLECT_ACCEPT), "window", 4, 2, 0xffff, ACCEPTED },

  { V2 (CLIENT_ADDRESS), "family", 0, 1, 0, INVALID },
  { V2 (CLIENT_ADDRESS), "family", 0, 1, 5, INVALID },
  { V2 (CLIENT_ADDRESS), "family", 0, 1, 10, INVALID }, /* AF_INET6, not the IP version */
  { V2 (CLIENT_ADDRESS), "family", 0, 1, 0xff, INVALID },
  /* An IPv6 address's bytes after the fourth are not IPv4 padding. */
  { V2 (CLIENT_ADDRESS), "family", 0, 1, WS_ADDRESS_FAMILY_IPV4, INVALID },
  { V2 (CLIENT_ADDRESS), "family", 0, 1, WS_ADDRESS_FAMILY_IPV6, ACCEPTED },
  { V2 (CLIENT_ADDRESS), "port", 2, 2, 0, INVALID },
  { V2 (CLIENT_ADDRESS), "port", 2, 2, 1, ACCEPTED },
  { V2 (CLIENT_ADDRESS), "port", 2, 2, 65535, ACCEPTED },
  { V2 (CLIENT_ADDRESS), "address", 4, 8, G_MAXUINT64, ACCEPTED },

  { V2 (ERROR), "code", 0, 2, WS_PROTOCOL_ERROR_NONE, INVALID },
  { V2 (ERROR), "code", 0, 2, WS_PROTOCOL_ERROR_TRUNCATED, INVALID },
  { V2 (ERROR), "code", 0, 2, 0xffff, INVALID },
  { V2 (ERROR), "code", 0, 2, WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION, ACCEPTED },
  { V2 (ERROR), "code", 0, 2, WS_PROTOCOL_ERROR_ABORTED, ACCEPTED },
  { V2 (ERROR), "code", 0, 2, 13, ACCEPTED }, /* a code from a later version */
  { V2 (ERROR), "code", 0, 2, 999, ACCEPTED },
  { V2 (ERROR), "value", 2, 2, 0xffff, ACCEPTED },
};

static void
test_value (gconstpointer data)
{
  const ValueCase *v = data;
  const MessageCase *c = find_case (v->version, v->type);
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  guint8 again[WS_MESSAGE_MAX_SIZE];
  g_autoptr(GError) error = NULL;
  WsMessage msg;
  gsize consumed = 0;
  gboolean ok;

  memcpy (buf, c->bytes, c->size);
  put_be (buf + header_size (c->version) + v->offset, v->size, v->value);
  ok = decode_exact (buf, c->size, &msg, &consumed, &error);

  if (v->code != ACCEPTED)
    {
      g_assert_error (error, WS_PROTOCOL_ERROR, v->code);
      g_assert_false (ok);
      g_assert_cmpuint (consumed, ==, c->size);
      g_assert_false (decode_exact (buf, c->size, &msg, NULL, NULL));
      return;
    }

  /* Accepted: the value was read from the right place and is written back
   * there unchanged. */
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpuint (consumed, ==, c->size);
  g_assert_cmpuint (ws_message_encode (&msg, again, sizeof again), ==, c->size);
  g_assert_cmpmem (again, c->size, buf, c->size);
}

/* Reserved bytes are ignored on receipt and sent as zero. */
static void
test_reserved_ignored (void)
{
  const ValueCase reserved[] = {
    { V2 (HELLO), "reserved", 5, 3, G_MAXUINT64, ACCEPTED },
    { V2 (HELLO_REPLY), "reserved", 5, 3, G_MAXUINT64, ACCEPTED },
    { V2 (TEST_REQUEST), "reserved", 36, 4, G_MAXUINT64, ACCEPTED },
    { V2 (STREAM_HELLO), "reserved", 19, 1, G_MAXUINT64, ACCEPTED },
    { V2 (STREAM_RESULT), "reserved", 3, 1, G_MAXUINT64, ACCEPTED },
    { V2 (RESULTS_END), "reserved", 2, 2, G_MAXUINT64, ACCEPTED },
    { V2 (CLIENT_ADDRESS), "reserved", 1, 1, G_MAXUINT64, ACCEPTED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (reserved); i++)
    {
      const MessageCase *c = find_case (reserved[i].version, reserved[i].type);
      guint8 buf[WS_MESSAGE_MAX_SIZE];
      WsMessage expected;
      WsMessage msg;

      g_test_message ("%s", c->name);
      memcpy (buf, c->bytes, c->size);
      put_be (buf + WS_V2_HEADER_SIZE + reserved[i].offset, reserved[i].size,
              reserved[i].value);
      g_assert_true (memcmp (buf, c->bytes, c->size) != 0);
      sample_message (c, &expected);
      assert_decodes (buf, c->size, &expected, c->size);

      g_assert_true (ws_message_decode (buf, c->size, &msg, NULL, NULL));
      g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, c->size);
      g_assert_cmpmem (buf, c->size, c->bytes, c->size);
    }
}

static void
test_request_validate (void)
{
  WsMessage msg;
  WsTestRequest request;
  g_autoptr(GError) error = NULL;

  sample_message (find_case (V2 (TEST_REQUEST)), &msg);
  request = msg.u.request;
  g_assert_true (ws_test_request_validate (&request, &error));
  g_assert_no_error (error);

  request.direction = WS_DIRECTION_BIDIR + 1;
  g_assert_false (ws_test_request_validate (&request, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, INVALID);
  g_assert_false (ws_test_request_validate (&request, NULL));

  request = msg.u.request;
  request.rr_response_size = WS_MAX_RR_SIZE + 1;
  g_assert_false (ws_test_request_validate (&request, NULL));
}

/* ------------------------------------------------------------------ */
/* ERROR text                                                          */

typedef struct {
  const char *name;
  const char *wire;    /* the text field as sent, padded with zeros */
  gsize wire_len;
  const char *decoded;
} TextCase;

#define TEXT(name, wire, decoded) { name, wire, sizeof wire - 1, decoded }

static void
test_error_text_decode (void)
{
  char full[WS_ERROR_TEXT_SIZE + 1];
  const TextCase cases[] = {
    TEXT ("ascii", "no route", "no route"),
    TEXT ("utf8", "gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x93 \xf0\x9f\x98\x80", "gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x93 \xf0\x9f\x98\x80"),
    TEXT ("invalid-byte", "ok\xff rest", "ok"),
    TEXT ("cut-sequence", "caf\xc3(", "caf"),
    TEXT ("leading-continuation", "\x80" "abc", ""),
    TEXT ("overlong", "a\xc0\xaf", "a"),
    TEXT ("surrogate", "ab\xed\xa0\x80", "ab"),
    TEXT ("embedded-nul", "abc\0xyz", "abc"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const MessageCase *c = find_case (V2 (ERROR));
      guint8 buf[sizeof error_bytes] = { 0, };
      WsMessage expected;

      g_test_message ("text: %s", cases[i].name);
      memcpy (buf, c->bytes, 8);
      memcpy (buf + 8, cases[i].wire, cases[i].wire_len);
      sample_message (c, &expected);
      strcpy (expected.u.error.text, cases[i].decoded);
      assert_decodes (buf, sizeof buf, &expected, sizeof buf);
    }

  /* A text that fills the whole field has no NUL on the wire. */
  memset (full, 'x', WS_ERROR_TEXT_SIZE);
  full[WS_ERROR_TEXT_SIZE] = '\0';
  {
    guint8 buf[sizeof error_bytes];
    WsMessage expected;

    memcpy (buf, error_bytes, 8);
    memcpy (buf + 8, full, WS_ERROR_TEXT_SIZE);
    sample_message (find_case (V2 (ERROR)), &expected);
    strcpy (expected.u.error.text, full);
    assert_decodes (buf, sizeof buf, &expected, sizeof buf);
  }
}

static char *
repeat (const char *prefix,
        const char *unit,
        guint       count)
{
  GString *s = g_string_new (prefix);

  for (guint i = 0; i < count; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
test_error_init (void)
{
  const struct {
    const char *prefix;
    const char *unit;
    guint count;
    gsize expected_len;
  } cases[] = {
    { "", "x", 124, 124 },
    { "", "x", 125, 124 },
    { "", "\xc3\xa9", 100, 124 },          /* é: 62 characters */
    { "", "\xe2\x82\xac", 60, 123 },       /* €: 41 characters, not 41⅓ */
    { "", "\xf0\x9f\x98\x80", 40, 124 },   /* 😀: 31 characters */
    { "a", "\xe2\x82\xac", 50, 124 },      /* 1 + 41 × 3 */
    { "ab", "\xe2\x82\xac", 50, 122 },     /* 2 + 40 × 3 */
    { "abc", "\xf0\x9f\x98\x80", 40, 123 }, /* 3 + 30 × 4 */
    { "", "", 0, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = repeat (cases[i].prefix, cases[i].unit, cases[i].count);
      guint8 buf[WS_MESSAGE_MAX_SIZE];
      WsMessage msg;
      gsize n;

      g_test_message ("case %u: %" G_GSIZE_FORMAT " bytes", i, strlen (text));
      ws_message_init_error (&msg, WS_PROTOCOL_ERROR_INTERNAL, 0x1234, text);
      g_assert_cmpuint (msg.version, ==, WS_PROTOCOL_V2);
      g_assert_cmpuint (msg.type, ==, WS_MSG_ERROR);
      g_assert_cmpuint (msg.u.error.code, ==, WS_PROTOCOL_ERROR_INTERNAL);
      g_assert_cmpuint (msg.u.error.value, ==, 0x1234);
      g_assert_cmpuint (strlen (msg.u.error.text), ==, cases[i].expected_len);
      g_assert_cmpmem (msg.u.error.text, cases[i].expected_len, text, cases[i].expected_len);
      g_assert_true (g_utf8_validate (msg.u.error.text, -1, NULL));

      n = ws_message_encode (&msg, buf, sizeof buf);
      g_assert_cmpuint (n, ==, sizeof error_bytes);
      assert_decodes (buf, n, &msg, n);
    }

  /* No text at all; whatever was in the struct before is cleared. */
  {
    WsMessage msg;

    memset (&msg, 0xaa, sizeof msg);
    ws_message_init_error (&msg, WS_PROTOCOL_ERROR_TIMEOUT, 0, NULL);
    g_assert_cmpuint (msg.u.error.code, ==, WS_PROTOCOL_ERROR_TIMEOUT);
    g_assert_cmpstr (msg.u.error.text, ==, "");
  }
}

/* ws_message_init_error() hands the peer valid UTF-8 only: a string that
 * ends in a lead byte must not make it read past the NUL (the padding after
 * the NUL here must never reach the wire). */
static void
test_error_init_invalid_utf8 (void)
{
  char text[16] = "ok\xf0";
  WsMessage msg;

  memcpy (text + 4, "SECRET", 6);
  ws_message_init_error (&msg, WS_PROTOCOL_ERROR_INTERNAL, 0, text);
  g_assert_true (g_utf8_validate (msg.u.error.text, -1, NULL));
  g_assert_null (memchr (msg.u.error.text, 'S', sizeof msg.u.error.text));
  g_assert_cmpstr (msg.u.error.text, ==, "ok");
}

/* ------------------------------------------------------------------ */
/* Encoder refusals, message streams, names                            */

static void
test_encode_unknown (void)
{
  const struct {
    guint8 version;
    guint8 type;
  } cases[] = {
    { 0, 1 }, { 3, 1 }, { 0xff, 1 },
    { WS_PROTOCOL_V1, 0 }, { WS_PROTOCOL_V1, 5 },
    { WS_PROTOCOL_V2, 0 }, { WS_PROTOCOL_V2, 0x0f }, { WS_PROTOCOL_V2, 0x7e },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint8 buf[WS_MESSAGE_MAX_SIZE];
      guint8 untouched[WS_MESSAGE_MAX_SIZE];
      WsMessage msg;

      ws_message_init (&msg, cases[i].version, cases[i].type);
      memset (buf, 0xaa, sizeof buf);
      memset (untouched, 0xaa, sizeof untouched);
      g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, 0);
      g_assert_cmpmem (buf, sizeof buf, untouched, sizeof untouched);
    }
}

static void
test_udp_header (void)
{
  const WsUdpHeader h = { WS_UDP_FLAG_REQUEST, 3, 0, G_GUINT64_CONSTANT (0x0102030405060708), 42 };
  const guint8 expected[] = {
    0xd5, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,
  };
  guint8 buf[WS_UDP_HEADER_SIZE + 4] = { 0 };
  WsUdpHeader back;

  g_assert_cmpuint (ws_udp_header_encode (&h, buf, WS_UDP_HEADER_SIZE - 1), ==, 0);
  g_assert_cmpuint (ws_udp_header_encode (&h, buf, sizeof buf), ==, WS_UDP_HEADER_SIZE);
  g_assert_cmpmem (buf, WS_UDP_HEADER_SIZE, expected, sizeof expected);
  g_assert_true (ws_udp_header_decode (buf, sizeof buf, &back));
  g_assert_cmpuint (back.flags, ==, h.flags);
  g_assert_cmpuint (back.stream_id, ==, h.stream_id);
  g_assert_cmpuint (back.seq, ==, h.seq);
  g_assert_cmpuint (back.send_ns, ==, h.send_ns);
  /* Too short, or a control message (first byte 0x02), is not data. */
  g_assert_false (ws_udp_header_decode (buf, WS_UDP_HEADER_SIZE - 1, &back));
  buf[0] = WS_PROTOCOL_V2;
  g_assert_false (ws_udp_header_decode (buf, sizeof buf, &back));
}

/* All messages back to back, as they arrive on a connection. */
static void
test_concatenated (void)
{
  guint8 stream[G_N_ELEMENTS (message_cases) * WS_MESSAGE_MAX_SIZE];
  gsize len = 0;
  gsize pos = 0;

  for (guint i = 0; i < G_N_ELEMENTS (message_cases); i++)
    {
      WsMessage msg;

      sample_message (&message_cases[i], &msg);
      len += ws_message_encode (&msg, stream + len, sizeof stream - len);
    }

  for (guint i = 0; i < G_N_ELEMENTS (message_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      WsMessage expected;
      WsMessage msg;
      gsize consumed;

      sample_message (&message_cases[i], &expected);
      g_assert_cmpint (ws_message_frame_size (stream + pos, len - pos, NULL), ==,
                       message_cases[i].size);
      g_assert_true (ws_message_decode (stream + pos, len - pos, &msg, &consumed, &error));
      g_assert_no_error (error);
      assert_messages_equal (&msg, &expected);
      pos += consumed;
    }
  g_assert_cmpuint (pos, ==, len);
}

static void
test_mode_strings (void)
{
  const struct {
    const char *str;
    gboolean ok;
    WsTestMode mode;
  } cases[] = {
    { "TCP_STREAM", TRUE, WS_TEST_TCP_STREAM },
    { "tcp_stream", TRUE, WS_TEST_TCP_STREAM },
    { "Tcp_Rr", TRUE, WS_TEST_TCP_RR },
    { "udp_stream", TRUE, WS_TEST_UDP_STREAM },
    { "UDP_rr", TRUE, WS_TEST_UDP_RR },
    { "TCP", FALSE, 0 },
    { "", FALSE, 0 },
    { "tcp-stream", FALSE, 0 },
    { "TCP_STREAM ", FALSE, 0 },
    { "UNKNOWN", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      WsTestMode mode = 99;

      g_test_message ("mode string \"%s\"", cases[i].str);
      g_assert_cmpint (ws_test_mode_from_string (cases[i].str, &mode), ==, cases[i].ok);
      g_assert_cmpint (mode, ==, cases[i].ok ? cases[i].mode : 99);
    }

  for (WsTestMode m = WS_TEST_TCP_STREAM; m <= WS_TEST_UDP_RR; m++)
    {
      WsTestMode back = 0;

      g_assert_true (ws_test_mode_from_string (ws_test_mode_to_string (m), &back));
      g_assert_cmpint (back, ==, m);
    }
  g_assert_cmpstr (ws_test_mode_to_string (WS_TEST_TCP_STREAM), ==, "TCP_STREAM");
  g_assert_cmpstr (ws_test_mode_to_string (WS_TEST_UDP_RR), ==, "UDP_RR");
  g_assert_cmpstr (ws_test_mode_to_string (0), ==, "UNKNOWN");
  g_assert_cmpstr (ws_test_mode_to_string (5), ==, "UNKNOWN");

  g_assert_cmpstr (ws_direction_to_string (WS_DIRECTION_UPLOAD), ==, "upload");
  g_assert_cmpstr (ws_direction_to_string (WS_DIRECTION_DOWNLOAD), ==, "download");
  g_assert_cmpstr (ws_direction_to_string (WS_DIRECTION_BIDIR), ==, "bidir");
  g_assert_cmpstr (ws_direction_to_string (3), ==, "unknown");
}

static void
test_type_strings (void)
{
  const struct {
    guint8 version;
    guint8 type;
    const char *name;
  } cases[] = {
    { V1 (TEST_REQUEST), "TEST_REQUEST" },
    { V1 (TEST_REPLY), "TEST_REPLY" },
    { V1 (TEST_DONE), "TEST_DONE" },
    { V1 (TEST_RESULTS), "TEST_RESULTS" },
    { V2 (HELLO), "HELLO" },
    { V2 (HELLO_REPLY), "HELLO_REPLY" },
    { V2 (TEST_REQUEST), "TEST_REQUEST" },
    { V2 (TEST_ACCEPT), "TEST_ACCEPT" },
    { V2 (STREAM_HELLO), "STREAM_HELLO" },
    { V2 (TEST_START), "TEST_START" },
    { V2 (TEST_DONE), "TEST_DONE" },
    { V2 (INTERVAL), "INTERVAL" },
    { V2 (STREAM_RESULT), "STREAM_RESULT" },
    { V2 (RESULTS_END), "RESULTS_END" },
    { V2 (KEEPALIVE), "KEEPALIVE" },
    { V2 (ERROR), "ERROR" },
    { V2 (STREAM_ACK), "STREAM_ACK" },
    { V2 (UDP_STATS), "UDP_STATS" },
    { V2 (TEST_GRANT), "TEST_GRANT" },
    { V2 (TEST_BYTES), "TEST_BYTES" },
    { V2 (CLIENT_ADDRESS), "CLIENT_ADDRESS" },
    { V2 (COLLECT), "COLLECT" },
    { V2 (COLLECT_ACCEPT), "COLLECT_ACCEPT" },
    { WS_PROTOCOL_V1, 0, "UNKNOWN" },
    { WS_PROTOCOL_V1, 5, "UNKNOWN" },
    { WS_PROTOCOL_V1, 0xff, "UNKNOWN" },
    { WS_PROTOCOL_V2, 0, "UNKNOWN" },
    { V2 (AUTH), "AUTH" },
    { WS_PROTOCOL_V2, 0x0f, "UNKNOWN" },
    { WS_PROTOCOL_V2, 0xff, "UNKNOWN" },
    { 0, WS_MSG_HELLO, "UNKNOWN" },
    { 3, WS_MSG_HELLO, "UNKNOWN" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (ws_message_type_to_string (cases[i].version, cases[i].type), ==,
                     cases[i].name);
}

/* ------------------------------------------------------------------ */
/* CLIENT_ADDRESS with IPv4, and the addresses' text form              */

static const guint8 client_address_v4_bytes[] = {
  0x02, 0x12, 0x00, 0x14,
  0x04, 0x00, 0xcf, 0xda,                         /* family 4, reserved, port 53210 */
  0xc0, 0x00, 0x02, 0x07, 0x00, 0x00, 0x00, 0x00, /* 192.0.2.7, then zeros */
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void
test_client_address_ipv4 (void)
{
  guint8 buf[sizeof client_address_v4_bytes];
  g_autofree char *text = NULL;
  WsMessage msg;

  g_assert_true (decode_exact (client_address_v4_bytes, sizeof buf, &msg, NULL, NULL));
  g_assert_cmpuint (msg.u.client_address.family, ==, WS_ADDRESS_FAMILY_IPV4);
  g_assert_cmpuint (msg.u.client_address.port, ==, 53210);
  text = ws_client_address_format (&msg.u.client_address);
  g_assert_cmpstr (text, ==, "192.0.2.7:53210");
  g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, sizeof buf);
  g_assert_cmpmem (buf, sizeof buf, client_address_v4_bytes, sizeof buf);

  /* Every byte after the IPv4 address must be zero. */
  for (guint i = 12; i < sizeof buf; i++)
    {
      memcpy (buf, client_address_v4_bytes, sizeof buf);
      buf[i] = 0x01;
      assert_decode_fails (buf, sizeof buf, INVALID, sizeof buf);
    }
  for (gsize len = 0; len < sizeof buf; len++)
    assert_decode_fails (client_address_v4_bytes, len, WS_PROTOCOL_ERROR_TRUNCATED, 0);
}

static char *
format_socket_address (const char *ip,
                       guint16     port)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, port);

  return ws_address_format (address);
}

/* What the server sends for a peer, and how both ends write it. */
static void
test_client_address_from_socket (void)
{
  const struct {
    const char *ip;
    guint8 family;
    const char *text;
  } cases[] = {
    { "192.0.2.7", WS_ADDRESS_FAMILY_IPV4, "192.0.2.7:40000" },
    /* A dual-stack server sees an IPv4 client mapped: it sends IPv4. */
    { "::ffff:127.0.0.1", WS_ADDRESS_FAMILY_IPV4, "127.0.0.1:40000" },
    { "2001:db8::1", WS_ADDRESS_FAMILY_IPV6, "[2001:db8::1]:40000" },
    { "::1", WS_ADDRESS_FAMILY_IPV6, "[::1]:40000" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (cases[i].ip);
      g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, 40000);
      g_autofree char *sent = NULL;
      g_autofree char *local = format_socket_address (cases[i].ip, 40000);
      guint8 buf[WS_MESSAGE_MAX_SIZE];
      WsMessage msg, back;

      ws_message_init (&msg, V2 (CLIENT_ADDRESS));
      g_assert_true (ws_client_address_from_socket (address, &msg.u.client_address));
      g_assert_cmpuint (msg.u.client_address.family, ==, cases[i].family);
      g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, sizeof client_address_bytes);
      g_assert_true (decode_exact (buf, sizeof client_address_bytes, &back, NULL, NULL));
      sent = ws_client_address_format (&back.u.client_address);
      g_assert_cmpstr (sent, ==, cases[i].text);
      g_assert_cmpstr (local, ==, cases[i].text);
      g_assert_true (ws_address_is_valid (sent));
    }
}

/* Stored results are untrusted: only the written form reads back. */
static void
test_address_is_valid (void)
{
  const char *good[] = {
    "192.0.2.7:53210", "[2001:db8::1]:1", "[::1]:65535", "0.0.0.0:80",
    "[fe80::1:2:3:4]:5201",
  };
  const char *bad[] = {
    "", ":", "192.0.2.7", "192.0.2.7:", "192.0.2.7:0", "192.0.2.7:65536",
    "192.0.2.7:+80", "192.0.2.7:80 ", " 192.0.2.7:80", "192.0.2.7:080",
    "2001:db8::1:80", "[192.0.2.7]:80", "[2001:db8::1]", "[2001:db8::1:80",
    "[2001:DB8::1]:80", "[2001:db8:0::1]:80", "[::ffff:192.0.2.7]:80",
    "localhost:80", "192.0.2.7:80\n", "[]:80", "[:80",
    "192.0.2.7:80:80", "[2001:db8::1]:80\x1b[2J",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (ws_address_is_valid (good[i]));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_message ("%s", bad[i]);
      g_assert_false (ws_address_is_valid (bad[i]));
    }
  g_assert_false (ws_address_is_valid (NULL));
}

/* ------------------------------------------------------------------ */
/* Deterministic random input                                          */

/* g_test_rand_int() is seeded differently on every run unless --seed is
 * given; a private generator keeps the input identical everywhere. */
#define RANDOM_SEED 0x57535032
#define RANDOM_ROUNDS 100000
#define RANDOM_MAX_LEN 300

/* Random bytes; three times in four they start with a valid sample that
 * has a few bytes replaced, so that decoding gets past the header. */
static guint8 *
random_buffer (GRand *rand,
               gsize  len)
{
  guint8 *buf = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    buf[i] = g_rand_int_range (rand, 0, 256);

  if (len > 0 && g_rand_int_range (rand, 0, 4) != 0)
    {
      const MessageCase *c =
        &message_cases[g_rand_int_range (rand, 0, G_N_ELEMENTS (message_cases))];
      gsize n = MIN (len, c->size);
      guint changes = g_rand_int_range (rand, 0, 4);

      memcpy (buf, c->bytes, n);
      for (guint i = 0; i < changes; i++)
        buf[g_rand_int_range (rand, 0, n)] = g_rand_int_range (rand, 0, 256);
    }
  return buf;
}

static void
check_accepted (const guint8    *buf,
                gsize            len,
                const WsMessage *msg,
                gsize            consumed)
{
  guint8 out[WS_MESSAGE_MAX_SIZE];
  guint8 again[WS_MESSAGE_MAX_SIZE];
  WsMessage back;
  gsize n;

  g_assert_cmpint (ws_message_frame_size (buf, len, NULL), ==, consumed);
  g_assert_cmpuint (consumed, <=, len);
  n = ws_message_encode (msg, out, sizeof out);
  g_assert_cmpuint (n, ==, consumed);
  assert_decodes (out, n, msg, n);
  g_assert_true (ws_message_decode (out, n, &back, NULL, NULL));
  g_assert_cmpuint (ws_message_encode (&back, again, sizeof again), ==, n);
  g_assert_cmpmem (again, n, out, n);
}

static void
check_refused (const guint8 *buf,
               gsize         len,
               gsize         consumed,
               const GError *error)
{
  gssize frame = ws_message_frame_size (buf, len, NULL);

  g_assert_nonnull (error);
  g_assert_true (error->domain == WS_PROTOCOL_ERROR);
  switch (error->code)
    {
    case WS_PROTOCOL_ERROR_TRUNCATED:
      g_assert_cmpuint (consumed, ==, 0);
      g_assert_true (frame == 0 || (gsize) frame > len);
      break;
    case WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION:
    case WS_PROTOCOL_ERROR_BAD_MESSAGE:
    case WS_PROTOCOL_ERROR_UNKNOWN_TYPE:
    case WS_PROTOCOL_ERROR_INVALID_VALUE:
      g_assert_cmpuint (consumed, <=, len);
      g_assert_true (consumed == 0 || (gssize) consumed == frame);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
test_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (RANDOM_SEED);
  gboolean seen[G_N_ELEMENTS (message_cases)] = { FALSE, };
  guint accepted = 0;

  for (guint round = 0; round < RANDOM_ROUNDS; round++)
    {
      gsize len = g_rand_int_range (rand, 0, RANDOM_MAX_LEN + 1);
      g_autofree guint8 *buf = random_buffer (rand, len);
      g_autoptr(GError) error = NULL;
      WsMessage msg;
      gsize consumed = 0;

      if (ws_message_decode (buf, len, &msg, &consumed, &error))
        {
          g_assert_no_error (error);
          check_accepted (buf, len, &msg, consumed);
          seen[case_index (msg.version, msg.type)] = TRUE;
          accepted++;
        }
      else
        check_refused (buf, len, consumed, error);
    }

  /* The generator must reach every decoder, not just the framing checks. */
  g_test_message ("%u of %u random buffers decoded", accepted, RANDOM_ROUNDS);
  g_assert_cmpuint (accepted, >=, RANDOM_ROUNDS / 10);
  for (guint i = 0; i < G_N_ELEMENTS (message_cases); i++)
    {
      g_test_message ("decoded a random %s: %s", message_cases[i].name,
                      seen[i] ? "yes" : "no");
      g_assert_true (seen[i]);
    }
}

/* ------------------------------------------------------------------ */

static void
add_case_test (const MessageCase *c,
               const char        *test,
               GTestDataFunc      func)
{
  g_autofree char *path = g_strdup_printf ("/protocol/%s/%s", c->name, test);

  g_test_add_data_func (path, c, func);
}

static void
add_value_tests (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (value_cases); i++)
    {
      const ValueCase *v = &value_cases[i];
      g_autofree char *path =
        g_strdup_printf ("/protocol/%s/%s/%s=%" G_GUINT64_FORMAT,
                         find_case (v->version, v->type)->name,
                         v->code == ACCEPTED ? "accepts" : "rejects",
                         v->field, v->value);

      g_test_add_data_func (path, v, test_value);
    }
}

/* TEST_GRANT's last four bytes, reserved before SERVER_TESTS (whose
 * senders write zeros there), are the server's other tests. The codec
 * reads them whatever was negotiated; the capability says what they mean. */
static void
test_grant_server_tests (void)
{
  static const guint8 older[] = {
    0x02, 0x10, 0x00, 0x0c,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* bitrate 0 (TCP) */
    0x00, 0x00, 0x00, 0x00,                         /* reserved */
  };
  static const guint8 one[] = {
    0x02, 0x10, 0x00, 0x0c,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01,                         /* 1 other test */
  };
  static const guint8 most[] = {
    0x02, 0x10, 0x00, 0x0c,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x98, 0x96, 0x80, /* 10 Mbit/s */
    0xff, 0xff, 0xff, 0xff,                         /* 4 294 967 295 */
  };
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;

  g_assert_true (decode_exact (older, sizeof older, &msg, NULL, NULL));
  g_assert_cmpuint (msg.u.grant.bitrate, ==, 0);
  g_assert_cmpuint (msg.u.grant.server_tests, ==, 0);
  g_assert_true (decode_exact (one, sizeof one, &msg, NULL, NULL));
  g_assert_cmpuint (msg.u.grant.server_tests, ==, 1);
  g_assert_true (decode_exact (most, sizeof most, &msg, NULL, NULL));
  g_assert_cmpuint (msg.u.grant.bitrate, ==, 10000000);
  g_assert_cmpuint (msg.u.grant.server_tests, ==, G_MAXUINT32);

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_TEST_GRANT);
  g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, sizeof older);
  g_assert_cmpmem (buf, sizeof older, older, sizeof older);
  msg.u.grant.server_tests = 1;
  g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, sizeof one);
  g_assert_cmpmem (buf, sizeof one, one, sizeof one);

  /* A bit of its own, beside the three before it. */
  g_assert_cmpuint (WS_CAP_SERVER_TESTS, ==, 0x10);
  g_assert_cmpuint (WS_CAP_SERVER_TESTS & (WS_CAP_TEST_GRANT | WS_CAP_TEST_BYTES
                                           | WS_CAP_CLIENT_ADDRESS), ==, 0);
}

/* INTERVAL's last four bytes, reserved in 0.1.0 (which sends zeros and
 * ignores them), are the datagrams the server policed. */
static void
test_interval_policed (void)
{
  const MessageCase *c = find_case (WS_PROTOCOL_V2, WS_MSG_INTERVAL);
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;

  memcpy (buf, c->bytes, c->size);
  put_be (buf + 64, 4, 0x01020304);
  g_assert_true (ws_message_decode (buf, c->size, &msg, NULL, NULL));
  g_assert_cmpuint (msg.u.interval.policed, ==, 0x01020304);
  memset (buf, 0, sizeof buf);
  g_assert_cmpuint (ws_message_encode (&msg, buf, sizeof buf), ==, c->size);
  g_assert_cmpuint (buf[64], ==, 1);
  g_assert_cmpuint (buf[67], ==, 4);
}

/* ---- Report frames (section 10) ---- */

static const guint8 report_id[16] = {
  0x0b, 0x9b, 0x6a, 0x4e, 0x5c, 0x1f, 0x4f, 0x3e, 0x9d, 0x7a, 0x2a, 0x61, 0xc1, 0xe0, 0xf0, 0x0d,
};

/* The example of section 10.4, byte for byte, both ways. */
static void
test_frame_ack (void)
{
  static const guint8 stored[] = {
    0x02, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14,
    0x0b, 0x9b, 0x6a, 0x4e, 0x5c, 0x1f, 0x4f, 0x3e, 0x9d, 0x7a, 0x2a, 0x61, 0xc1, 0xe0, 0xf0, 0x0d,
    0x00, 0x00, 0x00, 0x00,
  };
  guint8 buf[WS_FRAME_HEADER_SIZE + WS_FRAME_ACK_FIXED + WS_FRAME_TEXT_MAX];
  guint8 bad[sizeof stored];
  g_autoptr(GError) error = NULL;
  WsFrameHeader header;
  WsAck ack;
  g_autofree char *id = ws_report_id_from_bytes (report_id);
  guint8 id_bytes[16];

  g_assert_cmpstr (id, ==, "0b9b6a4e-5c1f-4f3e-9d7a-2a61c1e0f00d");
  g_assert_true (ws_report_id_to_bytes ("0B9B6A4E-5C1F-4F3E-9D7A-2A61C1E0F00D", id_bytes));
  g_assert_cmpmem (id_bytes, 16, report_id, 16);
  g_assert_false (ws_report_id_to_bytes ("0b9b6a4e5c1f4f3e9d7a2a61c1e0f00d", id_bytes));
  ws_ack_init (&ack, report_id, WS_ACK_STORED, 0, NULL);
  g_assert_cmpuint (ws_ack_encode (&ack, buf, sizeof buf), ==, sizeof stored);
  g_assert_cmpmem (buf, sizeof stored, stored, sizeof stored);
  g_assert_true (ws_frame_header_decode (stored, WS_REPORT_DEFAULT_MAX, &header, &error));
  g_assert_cmpint (header.type, ==, WS_FRAME_ACK);
  g_assert_cmpuint (header.length, ==, 20);
  g_assert_true (ws_ack_decode (stored + 8, 20, &ack, &error));
  g_assert_cmpmem (ack.id, 16, report_id, 16);
  g_assert_cmpint (ack.status, ==, WS_ACK_STORED);
  g_assert_cmpstr (ack.text, ==, "");

  /* RETRY needs a wait, and only RETRY has one. */
  memcpy (bad, stored, sizeof bad);
  bad[24] = WS_ACK_RETRY;
  g_assert_false (ws_ack_decode (bad + 8, 20, &ack, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  bad[27] = 5;
  g_assert_true (ws_ack_decode (bad + 8, 20, &ack, NULL));
  g_assert_cmpuint (ack.retry_after_s, ==, 5);
  bad[24] = WS_ACK_STORED;
  g_assert_false (ws_ack_decode (bad + 8, 20, &ack, NULL));
  bad[24] = 4;
  bad[27] = 0;
  g_assert_false (ws_ack_decode (bad + 8, 20, &ack, NULL));

  /* A reason longer than the field is cut on a character boundary. */
  {
    g_autofree char *text = g_strnfill (WS_FRAME_TEXT_MAX - 1, 'x');
    g_autofree char *longer = g_strconcat (text, "é", NULL);

    ws_ack_init (&ack, report_id, WS_ACK_REJECTED, 0, longer);
    g_assert_cmpstr (ack.text, ==, text);
  }
}

static void
test_frame_header (void)
{
  guint8 h[WS_FRAME_HEADER_SIZE];
  g_autoptr(GError) error = NULL;
  WsFrameHeader header;

  ws_frame_header_encode (WS_FRAME_REPORT, 4097, h);
  g_assert_true (ws_frame_header_decode (h, 4097, &header, NULL));
  g_assert_false (ws_frame_header_decode (h, 4096, &header, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE);
  g_assert_nonnull (strstr (error->message, "over this collector's limit of 4096"));
  g_clear_error (&error);

  ws_frame_header_encode (WS_FRAME_REPORT, 1, h);
  g_assert_false (ws_frame_header_decode (h, 4096, &header, NULL));
  ws_frame_header_encode (WS_FRAME_CONFIG_GET, 31, h);
  g_assert_false (ws_frame_header_decode (h, 4096, &header, NULL));
  ws_frame_header_encode (WS_FRAME_CONFIG_GET, 32, h);
  g_assert_true (ws_frame_header_decode (h, 4096, &header, NULL));
  ws_frame_header_encode (WS_FRAME_ERROR, 127, h);
  g_assert_false (ws_frame_header_decode (h, 4096, &header, NULL));
  ws_frame_header_encode (WS_FRAME_CONFIG, WS_FRAME_CONFIG_FIXED + WS_FRAME_CONFIG_MAX + 1, h);
  g_assert_false (ws_frame_header_decode (h, 4096, &header, NULL));

  h[1] = 0x24;
  g_assert_false (ws_frame_header_decode (h, 4096, &header, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_TYPE);
  g_clear_error (&error);
  h[0] = 0x01;
  g_assert_false (ws_frame_header_decode (h, 4096, &header, &error));
  g_assert_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION);
}

static void
test_frame_config (void)
{
  const char *text = "[speed]\ntarget=192.0.2.1\ntest=SPEED\nevery=5m\n";
  g_autoptr(GBytes) frame = ws_config_encode (WS_CONFIG_NEW, text);
  g_autoptr(GBytes) none = ws_config_encode (WS_CONFIG_NONE, NULL);
  const guint8 *p = g_bytes_get_data (frame, NULL);
  const guint8 head[8] = { 2, 0x23, 0, 0, 0, 0, 0, 4 + 45 };
  g_autofree char *got = NULL;
  guint8 bad[8] = { WS_CONFIG_NEW, 0, 0, 0, 'a', '\0', 'b', '\n' };
  WsConfigStatus status;

  g_assert_cmpuint (strlen (text), ==, 45);
  g_assert_cmpuint (g_bytes_get_size (frame), ==, 8 + 4 + strlen (text));
  g_assert_cmpmem (p, 8, head, 8);
  g_assert_true (ws_config_decode (p + 8, g_bytes_get_size (frame) - 8, &status, &got, NULL));
  g_assert_cmpint (status, ==, WS_CONFIG_NEW);
  g_assert_cmpstr (got, ==, text);
  g_clear_pointer (&got, g_free);

  p = g_bytes_get_data (none, NULL);
  g_assert_true (ws_config_decode (p + 8, 4, &status, &got, NULL));
  g_assert_cmpint (status, ==, WS_CONFIG_NONE);
  g_assert_null (got);
  /* A NUL, NEW without text, text without NEW: refused, not cut. */
  g_assert_false (ws_config_decode (bad, sizeof bad, &status, &got, NULL));
  g_assert_false (ws_config_decode (bad, 4, &status, &got, NULL));
  bad[0] = WS_CONFIG_UNCHANGED;
  bad[5] = 'x';
  g_assert_false (ws_config_decode (bad, sizeof bad, &status, &got, NULL));
  bad[0] = WS_CONFIG_NEW;
  g_assert_true (ws_config_decode (bad, sizeof bad, &status, &got, NULL));
}

static void
test_frame_error (void)
{
  guint8 buf[WS_FRAME_HEADER_SIZE + 128];
  const guint8 head[12] = { 2, 0x7f, 0, 0, 0, 0, 0, 128, 0, 6, 0, 0 };
  WsErrorMessage e;

  g_assert_cmpuint (ws_frame_error_encode (WS_PROTOCOL_ERROR_UNSUPPORTED_MODE,
                                           "This server does not collect reports", buf), ==, sizeof buf);
  g_assert_cmpmem (buf, 12, head, 12);
  g_assert_true (ws_frame_error_decode (buf + 8, 128, &e, NULL));
  g_assert_cmpuint (e.code, ==, WS_PROTOCOL_ERROR_UNSUPPORTED_MODE);
  g_assert_cmpstr (e.text, ==, "This server does not collect reports");
  buf[9] = 0;
  g_assert_false (ws_frame_error_decode (buf + 8, 128, &e, NULL));
}

static char *
report_json (const char *members)
{
  return g_strdup_printf ("{%s%s\"result\": {\"version\": 2, \"test\": \"TCP_STREAM\", "
                          "\"target\": \"192.0.2.1\", \"port\": 5201}}",
                          members, *members ? ", " : "");
}

#define ID "\"id\": \"0b9b6a4e-5c1f-4f3e-9d7a-2a61c1e0f00d\""

/* Section 10.3: what a collector takes, and the reason for what it does not. */
static void
test_report_envelope (void)
{
  static const struct {
    const char *members;
    const char *reason;  /* NULL: accepted */
  } cases[] = {
    { "\"id\": \"0B9B6A4E-5C1F-4F3E-9D7A-2A61C1E0F00D\"", NULL },
    { ID ", \"agent\": \"edge-1\", \"server_tests\": 3, "
      "\"local_address\": \"[2001:db8::1]:53210\", \"error\": null, \"future\": [1]", NULL },
    { "", "no id" },
    { "\"id\": \"not-a-uuid\"", "no id" },
    { "\"id\": 7", "“id” is not a string" },
    { ID ", \"agent\": \"a:b\"", "not a key name" },
    { ID ", \"agent\": \"\"", "not a key name" },
    { ID ", \"server_tests\": -1", "outside" },
    { ID ", \"server_tests\": 1.5", "not an integer" },
    { ID ", \"seen_address\": \"01234567890123456789012345678901234567890123456789012345678901234\"",
      "longer than 64" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *json = report_json (cases[i].members);
      g_autoptr(GError) error = NULL;
      g_autoptr(WsReport) report = ws_report_new_from_json (json, strlen (json), &error);

      if (cases[i].reason == NULL)
        {
          g_autofree char *again = NULL;
          g_autoptr(WsReport) copy = NULL;

          g_assert_no_error (error);
          again = ws_report_to_json (report);
          copy = ws_report_new_from_json (again, strlen (again), &error);
          g_assert_no_error (error);
          g_assert_cmpstr (copy->id, ==, report->id);
          g_assert_cmpstr (copy->agent, ==, report->agent);
          g_assert_cmpint (copy->server_tests, ==, report->server_tests);
          g_assert_cmpstr (copy->local_address, ==, report->local_address);
          g_assert_cmpstr (copy->result->target, ==, "192.0.2.1");
          continue;
        }
      g_assert_null (report);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      if (strstr (error->message, cases[i].reason) == NULL)
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].reason);
    }
  /* Not JSON, not an object, a NUL inside, a result that is not one. */
  g_assert_null (ws_report_new_from_json ("{", 1, NULL));
  g_assert_null (ws_report_new_from_json ("[]", 2, NULL));
  g_assert_null (ws_report_new_from_json ("{}\0", 3, NULL));
  {
    const char *bad = "{" ID ", \"result\": {\"test\": \"NOPE\"}}";
    g_autoptr(GError) error = NULL;

    g_assert_null (ws_report_new_from_json (bad, strlen (bad), &error));
    g_assert_nonnull (strstr (error->message, "The result is not valid"));
  }
}


int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (message_cases); i++)
    {
      const MessageCase *c = &message_cases[i];

      add_case_test (c, "encode", test_encode);
      add_case_test (c, "roundtrip", test_roundtrip);
      add_case_test (c, "truncated", test_truncated);
      add_case_test (c, "short-buffer", test_short_buffer);
      if (c->version == WS_PROTOCOL_V2)
        add_case_test (c, "wrong-length", test_wrong_length);
    }
  add_value_tests ();

  g_test_add_func ("/protocol/unsupported-version", test_unsupported_version);
  g_test_add_func ("/protocol/v1/unknown-type", test_v1_unknown_type);
  g_test_add_func ("/protocol/v2/unknown-type", test_v2_unknown_type);
  g_test_add_func ("/protocol/v2/bytes-flag-needs-stream-mode", test_bytes_flag_needs_stream_mode);
  g_test_add_func ("/protocol/v2/bytes-share", test_bytes_share);
  g_test_add_func ("/protocol/v2/payload-too-large", test_v2_payload_too_large);
  g_test_add_func ("/protocol/v2/reserved-ignored", test_reserved_ignored);
  g_test_add_func ("/protocol/v2/interval-policed", test_interval_policed);
  g_test_add_func ("/protocol/v2/test-grant/server-tests", test_grant_server_tests);
  g_test_add_func ("/protocol/v2/test-request/validate", test_request_validate);
  g_test_add_func ("/protocol/v2/error/text-decode", test_error_text_decode);
  g_test_add_func ("/protocol/v2/error/init", test_error_init);
  g_test_add_func ("/protocol/v2/error/init-invalid-utf8", test_error_init_invalid_utf8);
  g_test_add_func ("/protocol/v2/client-address/ipv4", test_client_address_ipv4);
  g_test_add_func ("/protocol/v2/client-address/from-socket", test_client_address_from_socket);
  g_test_add_func ("/protocol/v2/client-address/text", test_address_is_valid);
  g_test_add_func ("/protocol/udp-header", test_udp_header);
  g_test_add_func ("/protocol/encode-unknown", test_encode_unknown);
  g_test_add_func ("/protocol/concatenated", test_concatenated);
  g_test_add_func ("/protocol/mode-strings", test_mode_strings);
  g_test_add_func ("/protocol/type-strings", test_type_strings);
  g_test_add_func ("/protocol/random", test_random);
  g_test_add_func ("/protocol/frames/ack", test_frame_ack);
  g_test_add_func ("/protocol/frames/header", test_frame_header);
  g_test_add_func ("/protocol/frames/config", test_frame_config);
  g_test_add_func ("/protocol/frames/error", test_frame_error);
  g_test_add_func ("/protocol/frames/report", test_report_envelope);

  return g_test_run ();
}
