/* ws-protocol-encode.c — Wirespeed messages into bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-protocol-private.h"

static void
encode_v1 (const WsMessage *msg, Writer *w)
{
  switch (msg->type)
    {
    case WS_V1_TEST_REQUEST:
      put_u8 (w, msg->u.v1_request.test_type);
      break;
    case WS_V1_TEST_REPLY:
      put_u16 (w, msg->u.v1_reply.port);
      break;
    case WS_V1_TEST_DONE:
      break;
    case WS_V1_TEST_RESULTS:
      put_u64 (w, msg->u.v1_results.udp_packets);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
encode_request (const WsTestRequest *q, Writer *w)
{
  put_u8 (w, q->mode);
  put_u8 (w, q->direction);
  put_u16 (w, q->streams);
  put_u32 (w, q->duration_ms);
  put_u32 (w, q->interval_ms);
  put_u32 (w, q->length);
  put_u64 (w, q->bitrate);
  put_u32 (w, q->rr_request_size);
  put_u32 (w, q->rr_response_size);
  put_u32 (w, q->flags);
  put_zero (w, 4);
}

static void
encode_interval (const WsInterval *i, Writer *w)
{
  put_u16 (w, i->stream_id);
  put_u8 (w, i->role);
  put_u8 (w, i->flags);
  put_u32 (w, i->index);
  put_u64 (w, i->start_ns);
  put_u64 (w, i->end_ns);
  put_u64 (w, i->bytes_sent);
  put_u64 (w, i->bytes_received);
  put_u64 (w, i->packets_received);
  put_u32 (w, i->retransmits);
  put_u32 (w, i->snd_cwnd);
  put_u32 (w, i->rtt_us);
  put_u32 (w, i->policed);
}

static void
encode_udp_stats (const WsUdpStatsMessage *u, Writer *w)
{
  put_u16 (w, u->stream_id);
  put_u8 (w, u->flags);
  put_zero (w, 1);
  put_u32 (w, u->index);
  put_u64 (w, u->packets_received);
  put_u64 (w, u->packets_lost);
  put_u64 (w, u->out_of_order);
  put_u64 (w, u->duplicates);
  put_u64 (w, u->jitter_ns);
}

static void
encode_stream_result (const WsStreamResult *s, Writer *w)
{
  put_u16 (w, s->stream_id);
  put_u8 (w, s->role);
  put_zero (w, 1);
  put_u32 (w, s->retransmits);
  put_u64 (w, s->duration_ns);
  put_u64 (w, s->bytes_sent);
  put_u64 (w, s->bytes_received);
  put_u64 (w, s->packets_received);
}

static void
encode_hello (const WsMessage *msg, Writer *w)
{
  put_u32 (w, WS_HELLO_MAGIC);
  if (msg->type == WS_MSG_HELLO)
    {
      put_u8 (w, msg->u.hello.max_version);
      put_zero (w, 3);
      put_u32 (w, msg->u.hello.capabilities);
      return;
    }
  put_u8 (w, msg->u.hello_reply.version);
  put_zero (w, 3);
  put_u32 (w, msg->u.hello_reply.capabilities);
  put_u32 (w, msg->u.hello_reply.flags);
  put_bytes (w, msg->u.hello_reply.nonce, WS_NONCE_SIZE);
}

static void
encode_accept (const WsTestAccept *a, Writer *w)
{
  put_bytes (w, a->cookie, WS_COOKIE_SIZE);
  put_u16 (w, a->streams);
  put_u16 (w, a->data_port);
  put_u32 (w, a->duration_ms);
  put_u32 (w, a->length);
}

static void
encode_stream_hello (const WsStreamHello *h, Writer *w)
{
  put_bytes (w, h->cookie, WS_COOKIE_SIZE);
  put_u16 (w, h->stream_id);
  put_u8 (w, h->role);
  put_zero (w, 1);
}

/* A fixed-size text field: the bytes of @text up to @size, zero-padded. */
static void
put_text (Writer *w, const char *text, gsize size)
{
  gsize n = strnlen (text, size);

  put_bytes (w, (const guint8 *) text, n);
  put_zero (w, size - n);
}

/* A u64 and four reserved bytes: TEST_BYTES. */
static void
put_u64_reserved (Writer *w, guint64 v)
{
  put_u64 (w, v);
  put_zero (w, 4);
}

static void
encode_v2 (const WsMessage *msg, Writer *w)
{
  switch (msg->type)
    {
    case WS_MSG_HELLO:
    case WS_MSG_HELLO_REPLY:
      encode_hello (msg, w);
      break;
    case WS_MSG_TEST_REQUEST:
      encode_request (&msg->u.request, w);
      break;
    case WS_MSG_TEST_ACCEPT:
      encode_accept (&msg->u.accept, w);
      break;
    case WS_MSG_STREAM_HELLO:
    case WS_MSG_STREAM_ACK:
      encode_stream_hello (&msg->u.stream_hello, w);
      break;
    case WS_MSG_TEST_START:
    case WS_MSG_KEEPALIVE:
      break;
    case WS_MSG_UDP_STATS:
      encode_udp_stats (&msg->u.udp_stats, w);
      break;
    case WS_MSG_TEST_GRANT:
      put_u64 (w, msg->u.grant.bitrate);
      put_u32 (w, msg->u.grant.server_tests);
      break;
    case WS_MSG_TEST_BYTES:
      put_u64_reserved (w, msg->u.test_bytes.bytes);
      break;
    case WS_MSG_CLIENT_ADDRESS:
      put_u8 (w, msg->u.client_address.family);
      put_zero (w, 1);
      put_u16 (w, msg->u.client_address.port);
      put_bytes (w, msg->u.client_address.address, sizeof msg->u.client_address.address);
      break;
    case WS_MSG_COLLECT:
      put_u16 (w, msg->u.collect.report_version);
      put_u16 (w, msg->u.collect.flags);
      put_zero (w, 4);
      break;
    case WS_MSG_COLLECT_ACCEPT:
      put_u32 (w, msg->u.collect_accept.max_report);
      put_u16 (w, msg->u.collect_accept.window);
      put_zero (w, 6);
      break;
    case WS_MSG_TEST_DONE:
      put_u64 (w, msg->u.done.elapsed_ns);
      break;
    case WS_MSG_INTERVAL:
      encode_interval (&msg->u.interval, w);
      break;
    case WS_MSG_STREAM_RESULT:
      encode_stream_result (&msg->u.stream_result, w);
      break;
    case WS_MSG_RESULTS_END:
      put_u16 (w, msg->u.results_end.streams);
      put_zero (w, 2);
      put_u32 (w, msg->u.results_end.intervals);
      break;
    case WS_MSG_AUTH:
      put_text (w, msg->u.auth.name, WS_AUTH_NAME_SIZE);
      put_bytes (w, msg->u.auth.mac, WS_AUTH_MAC_SIZE);
      break;
    case WS_MSG_ERROR:
      put_u16 (w, msg->u.error.code);
      put_u16 (w, msg->u.error.value);
      put_text (w, msg->u.error.text, WS_ERROR_TEXT_SIZE);
      break;
    default:
      g_assert_not_reached ();
    }
}

/**
 * ws_message_encode:
 *
 * Returns: the number of bytes written, or 0 when @size is too small or the
 * message is not one this codec knows.
 */
gsize
ws_message_encode (const WsMessage *msg,
                   guint8          *buf,
                   gsize            size)
{
  Writer w = { buf };
  gsize total;

  if (msg->version == WS_PROTOCOL_V1)
    {
      if (msg->type < WS_V1_TEST_REQUEST || msg->type > WS_V1_TEST_RESULTS)
        return 0;
      total = ws_protocol_v1_size (msg->type);
      if (size < total)
        return 0;
      put_u8 (&w, WS_PROTOCOL_V1);
      put_u8 (&w, msg->type);
      encode_v1 (msg, &w);
    }
  else if (msg->version == WS_PROTOCOL_V2)
    {
      gssize payload = ws_protocol_v2_payload (msg->type);

      if (payload < 0)
        return 0;
      total = WS_V2_HEADER_SIZE + payload;
      if (size < total)
        return 0;
      put_u8 (&w, WS_PROTOCOL_V2);
      put_u8 (&w, msg->type);
      put_u16 (&w, payload);
      encode_v2 (msg, &w);
    }
  else
    return 0;

  g_assert ((gsize) (w.p - buf) == total);
  return total;
}

