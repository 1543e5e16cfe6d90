/* ws-protocol-decode.c — Wirespeed messages from bytes, every value checked
 *
 * Input comes from the network: each decoder reads exactly its fixed
 * payload (ws_message_decode() checked the size) and refuses a value out
 * of range with WS_PROTOCOL_ERROR_INVALID_VALUE.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-protocol-private.h"

/* Messages about a stream name it by id and, most of them, by role. */
#define NO_ROLE (-1)

static gboolean
check_stream (guint16   stream_id,
              gint      role,
              GError  **error)
{
  if (stream_id >= WS_MAX_STREAM_IDS)
    return ws_protocol_invalid (error, "Stream id %u is outside 0–%u", stream_id, WS_MAX_STREAM_IDS - 1);
  if (role != NO_ROLE && role > WS_ROLE_PROBE)
    return ws_protocol_invalid (error, "Unknown stream role %u", (guint) role);
  return TRUE;
}

static gboolean
decode_v1 (Reader     *r,
           WsMessage  *msg,
           GError    **error)
{
  switch (msg->type)
    {
    case WS_V1_TEST_REQUEST:
      msg->u.v1_request.test_type = get_u8 (r);
      if (msg->u.v1_request.test_type < WS_TEST_TCP_STREAM
          || msg->u.v1_request.test_type > WS_TEST_UDP_RR)
        return ws_protocol_invalid (error, "Unknown test type 0x%02x", msg->u.v1_request.test_type);
      return TRUE;
    case WS_V1_TEST_REPLY:
      msg->u.v1_reply.port = get_u16 (r);
      if (msg->u.v1_reply.port == 0)
        return ws_protocol_invalid (error, "Test port 0");
      return TRUE;
    case WS_V1_TEST_DONE:
      return TRUE;
    case WS_V1_TEST_RESULTS:
      msg->u.v1_results.udp_packets = get_u64 (r);
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
decode_hello (Reader *r, WsMessage *msg, GError **error)
{
  if (get_u32 (r) != WS_HELLO_MAGIC)
    {
      g_set_error_literal (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                           "HELLO without the WSP2 magic");
      return FALSE;
    }
  if (msg->type == WS_MSG_HELLO)
    {
      msg->u.hello.max_version = get_u8 (r);
      skip (r, 3);
      msg->u.hello.capabilities = get_u32 (r);
      if (msg->u.hello.max_version < WS_PROTOCOL_V2)
        return ws_protocol_invalid (error, "HELLO announces version %u", msg->u.hello.max_version);
      return TRUE;
    }
  msg->u.hello_reply.version = get_u8 (r);
  skip (r, 3);
  msg->u.hello_reply.capabilities = get_u32 (r);
  msg->u.hello_reply.flags = get_u32 (r);
  get_bytes (r, msg->u.hello_reply.nonce, WS_NONCE_SIZE);
  if (msg->u.hello_reply.version != WS_PROTOCOL_V2)
    return ws_protocol_invalid (error, "HELLO_REPLY chooses version %u", msg->u.hello_reply.version);
  return TRUE;
}

static gboolean
decode_request (Reader *r, WsMessage *msg, GError **error)
{
  WsTestRequest *q = &msg->u.request;

  q->mode = get_u8 (r);
  q->direction = get_u8 (r);
  q->streams = get_u16 (r);
  q->duration_ms = get_u32 (r);
  q->interval_ms = get_u32 (r);
  q->length = get_u32 (r);
  q->bitrate = get_u64 (r);
  q->rr_request_size = get_u32 (r);
  q->rr_response_size = get_u32 (r);
  q->flags = get_u32 (r);
  skip (r, 4);
  return ws_test_request_validate (q, error);
}

static gboolean
decode_accept (Reader *r, WsMessage *msg, GError **error)
{
  WsTestAccept *a = &msg->u.accept;

  get_bytes (r, a->cookie, WS_COOKIE_SIZE);
  a->streams = get_u16 (r);
  a->data_port = get_u16 (r);
  a->duration_ms = get_u32 (r);
  a->length = get_u32 (r);
  if (a->streams < 1 || a->streams > WS_MAX_STREAMS)
    return ws_protocol_invalid (error, "Accepted stream count %u is outside 1–%u", a->streams, WS_MAX_STREAMS);
  if (a->duration_ms < WS_MIN_DURATION_MS || a->duration_ms > WS_MAX_DURATION_MS)
    return ws_protocol_invalid (error, "Accepted duration %u ms is out of range", a->duration_ms);
  if (a->length < 1 || a->length > WS_MAX_LENGTH)
    return ws_protocol_invalid (error, "Accepted length %u is out of range", a->length);
  return TRUE;
}

static gboolean
decode_stream_hello (Reader *r, WsMessage *msg, GError **error)
{
  WsStreamHello *h = &msg->u.stream_hello;

  get_bytes (r, h->cookie, WS_COOKIE_SIZE);
  h->stream_id = get_u16 (r);
  h->role = get_u8 (r);
  skip (r, 1);
  if (!check_stream (h->stream_id, h->role, error))
    return FALSE;
  return TRUE;
}

static gboolean
decode_udp_stats (Reader *r, WsMessage *msg, GError **error)
{
  WsUdpStatsMessage *u = &msg->u.udp_stats;

  u->stream_id = get_u16 (r);
  u->flags = get_u8 (r);
  skip (r, 1);
  u->index = get_u32 (r);
  u->packets_received = get_u64 (r);
  u->packets_lost = get_u64 (r);
  u->out_of_order = get_u64 (r);
  u->duplicates = get_u64 (r);
  u->jitter_ns = get_u64 (r);
  if (!check_stream (u->stream_id, NO_ROLE, error))
    return FALSE;
  return TRUE;
}

static gboolean
decode_interval (Reader *r, WsMessage *msg, GError **error)
{
  WsInterval *i = &msg->u.interval;

  i->stream_id = get_u16 (r);
  i->role = get_u8 (r);
  i->flags = get_u8 (r);
  i->index = get_u32 (r);
  i->start_ns = get_u64 (r);
  i->end_ns = get_u64 (r);
  i->bytes_sent = get_u64 (r);
  i->bytes_received = get_u64 (r);
  i->packets_received = get_u64 (r);
  i->retransmits = get_u32 (r);
  i->snd_cwnd = get_u32 (r);
  i->rtt_us = get_u32 (r);
  i->policed = get_u32 (r);
  if (!check_stream (i->stream_id, i->role, error))
    return FALSE;
  if (i->end_ns < i->start_ns)
    return ws_protocol_invalid (error, "Interval ends before it starts");
  return TRUE;
}

static gboolean
decode_stream_result (Reader *r, WsMessage *msg, GError **error)
{
  WsStreamResult *s = &msg->u.stream_result;

  s->stream_id = get_u16 (r);
  s->role = get_u8 (r);
  skip (r, 1);
  s->retransmits = get_u32 (r);
  s->duration_ns = get_u64 (r);
  s->bytes_sent = get_u64 (r);
  s->bytes_received = get_u64 (r);
  s->packets_received = get_u64 (r);
  if (!check_stream (s->stream_id, s->role, error))
    return FALSE;
  return TRUE;
}

/* A name is 1–64 printable ASCII bytes without ':', NUL-padded: it is
 * compared with the names of the server's key file, which uses ':' to end
 * it, and it appears in logs. */
static gboolean
decode_auth (Reader *r, WsMessage *msg, GError **error)
{
  WsAuthMessage *a = &msg->u.auth;
  gsize len;

  memset (a->name, 0, sizeof a->name);
  get_bytes (r, (guint8 *) a->name, WS_AUTH_NAME_SIZE);
  get_bytes (r, a->mac, WS_AUTH_MAC_SIZE);
  len = strnlen (a->name, WS_AUTH_NAME_SIZE);
  if (len == 0)
    return ws_protocol_invalid (error, "Empty key name");
  for (gsize i = 0; i < WS_AUTH_NAME_SIZE; i++)
    if (i < len ? (a->name[i] < 0x21 || a->name[i] > 0x7e || a->name[i] == ':') : a->name[i] != 0)
      return ws_protocol_invalid (error, "Key names are printable ASCII without spaces or ':', NUL-padded");
  return TRUE;
}

static gboolean
decode_client_address (Reader *r, WsMessage *msg, GError **error)
{
  WsClientAddress *a = &msg->u.client_address;
  static const guint8 zero[12] = { 0 };

  a->family = get_u8 (r);
  skip (r, 1);
  a->port = get_u16 (r);
  get_bytes (r, a->address, sizeof a->address);
  if (a->family != WS_ADDRESS_FAMILY_IPV4 && a->family != WS_ADDRESS_FAMILY_IPV6)
    return ws_protocol_invalid (error, "Client address of family %u", a->family);
  /* One address, one encoding: an IPv4 address is not padded with junk. */
  if (a->family == WS_ADDRESS_FAMILY_IPV4 && memcmp (a->address + 4, zero, sizeof zero) != 0)
    return ws_protocol_invalid (error, "IPv4 client address with bytes after its 4");
  if (a->port == 0)
    return ws_protocol_invalid (error, "Client address with port 0");
  return TRUE;
}

/* Unknown flags are refused, not ignored: a flag could ask the collector
 * to take reports under another name. */
static gboolean
decode_collect (Reader *r, WsMessage *msg, GError **error)
{
  WsCollect *c = &msg->u.collect;

  c->report_version = get_u16 (r);
  c->flags = get_u16 (r);
  skip (r, 4);
  if (c->report_version != WS_REPORT_VERSION)
    return ws_protocol_invalid (error, "Report version %u; this collector speaks %u",
                                c->report_version, WS_REPORT_VERSION);
  if (c->flags & ~WS_COLLECT_KNOWN_FLAGS)
    return ws_protocol_invalid (error, "Unknown COLLECT flags 0x%04x", c->flags);
  return TRUE;
}

static gboolean
decode_collect_accept (Reader *r, WsMessage *msg, GError **error)
{
  WsCollectAccept *a = &msg->u.collect_accept;

  a->max_report = get_u32 (r);
  a->window = get_u16 (r);
  skip (r, 6);
  if (a->max_report < WS_REPORT_MIN_MAX || a->max_report > WS_REPORT_MAX_MAX)
    return ws_protocol_invalid (error, "Report limit of %u bytes is outside %u–%u",
                                a->max_report, WS_REPORT_MIN_MAX, WS_REPORT_MAX_MAX);
  if (a->window == 0)
    return ws_protocol_invalid (error, "Report window of 0");
  return TRUE;
}

static gboolean
decode_error (Reader *r, WsMessage *msg, GError **error)
{
  WsErrorMessage *e = &msg->u.error;
  const char *end = NULL;

  e->code = get_u16 (r);
  e->value = get_u16 (r);
  get_bytes (r, (guint8 *) e->text, WS_ERROR_TEXT_SIZE);
  e->text[WS_ERROR_TEXT_SIZE] = '\0';
  /* Peer text is shown to people: keep only the valid UTF-8 prefix. */
  if (!g_utf8_validate (e->text, -1, &end))
    e->text[end - e->text] = '\0';
  /* Equal texts make equal structs, whatever padding the peer sent. */
  memset (e->text + strlen (e->text), 0, WS_ERROR_TEXT_SIZE + 1 - strlen (e->text));
  if (e->code == WS_PROTOCOL_ERROR_NONE || e->code >= WS_PROTOCOL_ERROR_TRUNCATED)
    return ws_protocol_invalid (error, "Error message with code %u", e->code);
  return TRUE;
}

static gboolean
decode_v2 (Reader *r, WsMessage *msg, GError **error)
{
  switch (msg->type)
    {
    case WS_MSG_HELLO:
    case WS_MSG_HELLO_REPLY:
      return decode_hello (r, msg, error);
    case WS_MSG_TEST_REQUEST:
      return decode_request (r, msg, error);
    case WS_MSG_TEST_ACCEPT:
      return decode_accept (r, msg, error);
    case WS_MSG_STREAM_HELLO:
    case WS_MSG_STREAM_ACK:
      return decode_stream_hello (r, msg, error);
    case WS_MSG_UDP_STATS:
      return decode_udp_stats (r, msg, error);
    case WS_MSG_TEST_GRANT:
      msg->u.grant.bitrate = get_u64 (r);
      msg->u.grant.server_tests = get_u32 (r);
      return TRUE;
    case WS_MSG_TEST_BYTES:
      msg->u.test_bytes.bytes = get_u64 (r);
      skip (r, 4);
      if (msg->u.test_bytes.bytes == 0 || msg->u.test_bytes.bytes > WS_MAX_TEST_BYTES)
        return ws_protocol_invalid (error, "Test size %" G_GUINT64_FORMAT " bytes is outside 1–2⁶³−1",
                        msg->u.test_bytes.bytes);
      return TRUE;
    case WS_MSG_CLIENT_ADDRESS:
      return decode_client_address (r, msg, error);
    case WS_MSG_COLLECT:
      return decode_collect (r, msg, error);
    case WS_MSG_COLLECT_ACCEPT:
      return decode_collect_accept (r, msg, error);
    case WS_MSG_TEST_START:
    case WS_MSG_KEEPALIVE:
      return TRUE;
    case WS_MSG_TEST_DONE:
      msg->u.done.elapsed_ns = get_u64 (r);
      return TRUE;
    case WS_MSG_INTERVAL:
      return decode_interval (r, msg, error);
    case WS_MSG_STREAM_RESULT:
      return decode_stream_result (r, msg, error);
    case WS_MSG_RESULTS_END:
      msg->u.results_end.streams = get_u16 (r);
      skip (r, 2);
      msg->u.results_end.intervals = get_u32 (r);
      if (msg->u.results_end.streams > WS_MAX_STREAM_IDS)
        return ws_protocol_invalid (error, "Results for %u streams", msg->u.results_end.streams);
      return TRUE;
    case WS_MSG_AUTH:
      return decode_auth (r, msg, error);
    case WS_MSG_ERROR:
      return decode_error (r, msg, error);
    default:
      g_assert_not_reached ();
    }
}

/**
 * ws_message_decode:
 * @consumed: (out) (optional): the size of the message, set whenever the
 *   frame itself is sound, so a caller may skip a message it rejects.
 *
 * Decodes exactly one message from the start of @buf.
 */
gboolean
ws_message_decode (const guint8  *buf,
                   gsize          len,
                   WsMessage     *msg,
                   gsize         *consumed,
                   GError       **error)
{
  gssize size;
  Reader r;

  memset (msg, 0, sizeof *msg);
  if (consumed)
    *consumed = 0;

  size = ws_message_frame_size (buf, len, error);
  if (size < 0)
    return FALSE;
  if (size == 0 || (gsize) size > len)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_TRUNCATED,
                   "Message truncated after %" G_GSIZE_FORMAT " bytes", len);
      return FALSE;
    }

  msg->version = buf[0];
  msg->type = buf[1];
  if (consumed)
    *consumed = size;

  if (msg->version == WS_PROTOCOL_V1)
    {
      r.p = buf + 2;
      return decode_v1 (&r, msg, error);
    }

  if (ws_protocol_v2_payload (msg->type) < 0)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   "Unknown message type 0x%02x", msg->type);
      return FALSE;
    }
  if (size - WS_V2_HEADER_SIZE != ws_protocol_v2_payload (msg->type))
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   "%s carries %" G_GSSIZE_FORMAT " payload bytes instead of %" G_GSSIZE_FORMAT,
                   ws_message_type_to_string (msg->version, msg->type),
                   size - WS_V2_HEADER_SIZE, ws_protocol_v2_payload (msg->type));
      return FALSE;
    }
  r.p = buf + WS_V2_HEADER_SIZE;
  return decode_v2 (&r, msg, error);
}
