/* ws-protocol.c — the Wirespeed wire codec
 *
 * Every field is big-endian and every message of a given version and type
 * has one fixed size; docs/PROTOCOL.md is the byte-by-byte specification.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-protocol.h"

G_DEFINE_QUARK (ws-protocol-error-quark, ws_protocol_error)

/* Payload sizes of v2 messages, indexed by type; 0 = unknown type. A known
 * type with an empty payload is marked with EMPTY. */
#define EMPTY 0xffff
static const guint16 v2_payload_size[256] = {
  [WS_MSG_HELLO] = 12,
  [WS_MSG_HELLO_REPLY] = 48,
  [WS_MSG_TEST_REQUEST] = 40,
  [WS_MSG_TEST_ACCEPT] = 28,
  [WS_MSG_STREAM_HELLO] = 20,
  [WS_MSG_TEST_START] = EMPTY,
  [WS_MSG_TEST_DONE] = 8,
  [WS_MSG_INTERVAL] = 64,
  [WS_MSG_STREAM_RESULT] = 40,
  [WS_MSG_RESULTS_END] = 8,
  [WS_MSG_KEEPALIVE] = EMPTY,
  [WS_MSG_STREAM_ACK] = 20,
  [WS_MSG_UDP_STATS] = 48,
  [WS_MSG_AUTH] = 96,
  [WS_MSG_TEST_GRANT] = 12,
  [WS_MSG_TEST_BYTES] = 12,
  [WS_MSG_CLIENT_ADDRESS] = 20,
  [WS_MSG_ERROR] = 128,
};

static const guint8 v1_size[] = {
  [WS_V1_TEST_REQUEST] = 3,
  [WS_V1_TEST_REPLY] = 4,
  [WS_V1_TEST_DONE] = 2,
  [WS_V1_TEST_RESULTS] = 10,
};

static gssize
expected_v2_payload (guint8 type)
{
  guint16 n = v2_payload_size[type];

  if (n == 0)
    return -1;
  return n == EMPTY ? 0 : n;
}

/* Big-endian readers and writers over a moving cursor. */
typedef struct {
  const guint8 *p;
} Reader;

static guint8
get_u8 (Reader *r)
{
  return *r->p++;
}

static guint16
get_u16 (Reader *r)
{
  guint16 v = ((guint16) r->p[0] << 8) | r->p[1];
  r->p += 2;
  return v;
}

static guint32
get_u32 (Reader *r)
{
  guint32 v = ((guint32) r->p[0] << 24) | ((guint32) r->p[1] << 16)
              | ((guint32) r->p[2] << 8) | r->p[3];
  r->p += 4;
  return v;
}

static guint64
get_u64 (Reader *r)
{
  guint64 hi = get_u32 (r);
  return (hi << 32) | get_u32 (r);
}

static void
get_bytes (Reader *r, guint8 *out, gsize n)
{
  memcpy (out, r->p, n);
  r->p += n;
}

static void
skip (Reader *r, gsize n)
{
  r->p += n;
}

typedef struct {
  guint8 *p;
} Writer;

static void
put_u8 (Writer *w, guint8 v)
{
  *w->p++ = v;
}

static void
put_u16 (Writer *w, guint16 v)
{
  *w->p++ = v >> 8;
  *w->p++ = v & 0xff;
}

static void
put_u32 (Writer *w, guint32 v)
{
  put_u16 (w, v >> 16);
  put_u16 (w, v & 0xffff);
}

static void
put_u64 (Writer *w, guint64 v)
{
  put_u32 (w, v >> 32);
  put_u32 (w, v & 0xffffffffu);
}

static void
put_bytes (Writer *w, const guint8 *in, gsize n)
{
  memcpy (w->p, in, n);
  w->p += n;
}

static void
put_zero (Writer *w, gsize n)
{
  memset (w->p, 0, n);
  w->p += n;
}

/**
 * ws_message_frame_size:
 *
 * Returns: the total size of the message that starts at @buf, 0 when more
 * bytes are needed to tell, or -1 (with @error set) for an unknown version,
 * an unknown version 1 type or an oversized version 2 payload. A version 2
 * frame of unknown type or wrong length still has a size, so that a caller
 * can skip it; ws_message_decode() rejects it. The caller never reads more
 * than %WS_MESSAGE_MAX_SIZE bytes for one message.
 */
gssize
ws_message_frame_size (const guint8  *buf,
                       gsize          len,
                       GError       **error)
{
  if (len < 1)
    return 0;

  switch (buf[0])
    {
    case WS_PROTOCOL_V1:
      if (len < 2)
        return 0;
      if (buf[1] < WS_V1_TEST_REQUEST || buf[1] > WS_V1_TEST_RESULTS)
        {
          g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_TYPE,
                       "Unknown version 1 message type 0x%02x", buf[1]);
          return -1;
        }
      return v1_size[buf[1]];

    case WS_PROTOCOL_V2:
      if (len < WS_V2_HEADER_SIZE)
        return 0;
      {
        guint16 length = ((guint16) buf[2] << 8) | buf[3];

        if (length > WS_V2_MAX_PAYLOAD)
          {
            g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                         "Message payload of %u bytes exceeds the limit of %u",
                         length, WS_V2_MAX_PAYLOAD);
            return -1;
          }
        return WS_V2_HEADER_SIZE + length;
      }

    default:
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                   "Unsupported protocol version %u", buf[0]);
      return -1;
    }
}

static gboolean
invalid (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Protocol diagnostics stay English: the server sends them back in ERROR
 * messages and logs them, and a client quotes them after its own
 * translated words ("The server does not speak the Wirespeed protocol:"). */
static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;

  va_start (args, format);
  if (error != NULL)
    *error = g_error_new_valist (WS_PROTOCOL_ERROR,
                                 WS_PROTOCOL_ERROR_INVALID_VALUE, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
valid_role (guint8 role)
{
  return role <= WS_ROLE_PROBE;
}

gboolean
ws_test_request_validate (const WsTestRequest  *r,
                          GError              **error)
{
  if (r->mode < WS_TEST_TCP_STREAM || r->mode > WS_TEST_UDP_RR)
    return invalid (error, "Unknown test mode %u", r->mode);
  if (r->direction > WS_DIRECTION_BIDIR)
    return invalid (error, "Unknown direction %u", r->direction);
  if (r->streams < 1 || r->streams > WS_MAX_STREAMS)
    return invalid (error, "Stream count %u is outside 1–%u", r->streams, WS_MAX_STREAMS);
  if (r->duration_ms < WS_MIN_DURATION_MS || r->duration_ms > WS_MAX_DURATION_MS)
    return invalid (error, "Duration %u ms is outside %u–%u ms", r->duration_ms,
                    WS_MIN_DURATION_MS, WS_MAX_DURATION_MS);
  if (r->interval_ms < WS_MIN_INTERVAL_MS || r->interval_ms > WS_MAX_INTERVAL_MS)
    return invalid (error, "Interval %u ms is outside %u–%u ms", r->interval_ms,
                    WS_MIN_INTERVAL_MS, WS_MAX_INTERVAL_MS);
  if (r->length < 1 || r->length > WS_MAX_LENGTH)
    return invalid (error, "Message length %u is outside 1–%u bytes", r->length, WS_MAX_LENGTH);
  if (r->rr_request_size < 1 || r->rr_request_size > WS_MAX_RR_SIZE
      || r->rr_response_size < 1 || r->rr_response_size > WS_MAX_RR_SIZE)
    return invalid (error, "Request/response sizes %u,%u are outside 1–%u bytes",
                    r->rr_request_size, r->rr_response_size, WS_MAX_RR_SIZE);
  if (r->flags & ~WS_REQUEST_KNOWN_FLAGS)
    return invalid (error, "Unknown request flags 0x%08x", r->flags & ~WS_REQUEST_KNOWN_FLAGS);
  if ((r->flags & WS_REQUEST_FLAG_BYTES) && ws_test_mode_is_rr (r->mode))
    return invalid (error, "A fixed-size test needs TCP_STREAM or UDP_STREAM");
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
        return invalid (error, "Unknown test type 0x%02x", msg->u.v1_request.test_type);
      return TRUE;
    case WS_V1_TEST_REPLY:
      msg->u.v1_reply.port = get_u16 (r);
      if (msg->u.v1_reply.port == 0)
        return invalid (error, "Test port 0");
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
        return invalid (error, "HELLO announces version %u", msg->u.hello.max_version);
      return TRUE;
    }
  msg->u.hello_reply.version = get_u8 (r);
  skip (r, 3);
  msg->u.hello_reply.capabilities = get_u32 (r);
  msg->u.hello_reply.flags = get_u32 (r);
  get_bytes (r, msg->u.hello_reply.nonce, WS_NONCE_SIZE);
  if (msg->u.hello_reply.version != WS_PROTOCOL_V2)
    return invalid (error, "HELLO_REPLY chooses version %u", msg->u.hello_reply.version);
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
    return invalid (error, "Accepted stream count %u is outside 1–%u", a->streams, WS_MAX_STREAMS);
  if (a->duration_ms < WS_MIN_DURATION_MS || a->duration_ms > WS_MAX_DURATION_MS)
    return invalid (error, "Accepted duration %u ms is out of range", a->duration_ms);
  if (a->length < 1 || a->length > WS_MAX_LENGTH)
    return invalid (error, "Accepted length %u is out of range", a->length);
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
  if (h->stream_id >= WS_MAX_STREAM_IDS)
    return invalid (error, "Stream id %u is outside 0–%u", h->stream_id, WS_MAX_STREAM_IDS - 1);
  if (!valid_role (h->role))
    return invalid (error, "Unknown stream role %u", h->role);
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
  if (u->stream_id >= WS_MAX_STREAM_IDS)
    return invalid (error, "Stream id %u is outside 0–%u", u->stream_id, WS_MAX_STREAM_IDS - 1);
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
  if (i->stream_id >= WS_MAX_STREAM_IDS)
    return invalid (error, "Stream id %u is outside 0–%u", i->stream_id, WS_MAX_STREAM_IDS - 1);
  if (!valid_role (i->role))
    return invalid (error, "Unknown stream role %u", i->role);
  if (i->end_ns < i->start_ns)
    return invalid (error, "Interval ends before it starts");
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
  if (s->stream_id >= WS_MAX_STREAM_IDS)
    return invalid (error, "Stream id %u is outside 0–%u", s->stream_id, WS_MAX_STREAM_IDS - 1);
  if (!valid_role (s->role))
    return invalid (error, "Unknown stream role %u", s->role);
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
    return invalid (error, "Empty key name");
  for (gsize i = 0; i < WS_AUTH_NAME_SIZE; i++)
    if (i < len ? (a->name[i] < 0x21 || a->name[i] > 0x7e || a->name[i] == ':') : a->name[i] != 0)
      return invalid (error, "Key names are printable ASCII without spaces or ':', NUL-padded");
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
    return invalid (error, "Client address of family %u", a->family);
  /* One address, one encoding: an IPv4 address is not padded with junk. */
  if (a->family == WS_ADDRESS_FAMILY_IPV4 && memcmp (a->address + 4, zero, sizeof zero) != 0)
    return invalid (error, "IPv4 client address with bytes after its 4");
  if (a->port == 0)
    return invalid (error, "Client address with port 0");
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
    return invalid (error, "Error message with code %u", e->code);
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
      skip (r, 4);
      return TRUE;
    case WS_MSG_TEST_BYTES:
      msg->u.test_bytes.bytes = get_u64 (r);
      skip (r, 4);
      if (msg->u.test_bytes.bytes == 0 || msg->u.test_bytes.bytes > WS_MAX_TEST_BYTES)
        return invalid (error, "Test size %" G_GUINT64_FORMAT " bytes is outside 1–2⁶³−1",
                        msg->u.test_bytes.bytes);
      return TRUE;
    case WS_MSG_CLIENT_ADDRESS:
      return decode_client_address (r, msg, error);
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
        return invalid (error, "Results for %u streams", msg->u.results_end.streams);
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

  if (expected_v2_payload (msg->type) < 0)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   "Unknown message type 0x%02x", msg->type);
      return FALSE;
    }
  if (size - WS_V2_HEADER_SIZE != expected_v2_payload (msg->type))
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   "%s carries %" G_GSSIZE_FORMAT " payload bytes instead of %" G_GSSIZE_FORMAT,
                   ws_message_type_to_string (msg->version, msg->type),
                   size - WS_V2_HEADER_SIZE, expected_v2_payload (msg->type));
      return FALSE;
    }
  r.p = buf + WS_V2_HEADER_SIZE;
  return decode_v2 (&r, msg, error);
}

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
encode_v2 (const WsMessage *msg, Writer *w)
{
  const WsTestAccept *a = &msg->u.accept;
  const WsStreamHello *h = &msg->u.stream_hello;

  switch (msg->type)
    {
    case WS_MSG_HELLO:
      put_u32 (w, WS_HELLO_MAGIC);
      put_u8 (w, msg->u.hello.max_version);
      put_zero (w, 3);
      put_u32 (w, msg->u.hello.capabilities);
      break;
    case WS_MSG_HELLO_REPLY:
      put_u32 (w, WS_HELLO_MAGIC);
      put_u8 (w, msg->u.hello_reply.version);
      put_zero (w, 3);
      put_u32 (w, msg->u.hello_reply.capabilities);
      put_u32 (w, msg->u.hello_reply.flags);
      put_bytes (w, msg->u.hello_reply.nonce, WS_NONCE_SIZE);
      break;
    case WS_MSG_TEST_REQUEST:
      encode_request (&msg->u.request, w);
      break;
    case WS_MSG_TEST_ACCEPT:
      put_bytes (w, a->cookie, WS_COOKIE_SIZE);
      put_u16 (w, a->streams);
      put_u16 (w, a->data_port);
      put_u32 (w, a->duration_ms);
      put_u32 (w, a->length);
      break;
    case WS_MSG_STREAM_HELLO:
    case WS_MSG_STREAM_ACK:
      put_bytes (w, h->cookie, WS_COOKIE_SIZE);
      put_u16 (w, h->stream_id);
      put_u8 (w, h->role);
      put_zero (w, 1);
      break;
    case WS_MSG_TEST_START:
    case WS_MSG_KEEPALIVE:
      break;
    case WS_MSG_UDP_STATS:
      encode_udp_stats (&msg->u.udp_stats, w);
      break;
    case WS_MSG_TEST_GRANT:
      put_u64 (w, msg->u.grant.bitrate);
      put_zero (w, 4);
      break;
    case WS_MSG_TEST_BYTES:
      put_u64 (w, msg->u.test_bytes.bytes);
      put_zero (w, 4);
      break;
    case WS_MSG_CLIENT_ADDRESS:
      put_u8 (w, msg->u.client_address.family);
      put_zero (w, 1);
      put_u16 (w, msg->u.client_address.port);
      put_bytes (w, msg->u.client_address.address, sizeof msg->u.client_address.address);
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
      {
        gsize n = strnlen (msg->u.auth.name, WS_AUTH_NAME_SIZE);

        put_bytes (w, (const guint8 *) msg->u.auth.name, n);
        put_zero (w, WS_AUTH_NAME_SIZE - n);
        put_bytes (w, msg->u.auth.mac, WS_AUTH_MAC_SIZE);
      }
      break;
    case WS_MSG_ERROR:
      {
        gsize n = strnlen (msg->u.error.text, WS_ERROR_TEXT_SIZE);

        put_u16 (w, msg->u.error.code);
        put_u16 (w, msg->u.error.value);
        put_bytes (w, (const guint8 *) msg->u.error.text, n);
        put_zero (w, WS_ERROR_TEXT_SIZE - n);
      }
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
      total = v1_size[msg->type];
      if (size < total)
        return 0;
      put_u8 (&w, WS_PROTOCOL_V1);
      put_u8 (&w, msg->type);
      encode_v1 (msg, &w);
    }
  else if (msg->version == WS_PROTOCOL_V2)
    {
      gssize payload = expected_v2_payload (msg->type);

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

void
ws_message_init (WsMessage *msg,
                 guint8     version,
                 guint8     type)
{
  memset (msg, 0, sizeof *msg);
  msg->version = version;
  msg->type = type;
}

void
ws_message_init_error (WsMessage       *msg,
                       WsProtocolError  code,
                       guint16          value,
                       const char      *text)
{
  ws_message_init (msg, WS_PROTOCOL_V2, WS_MSG_ERROR);
  msg->u.error.code = code;
  msg->u.error.value = value;
  if (text != NULL)
    {
      const char *valid_end = NULL;
      const char *end = text;

      /* Send only the valid UTF-8 prefix, cut on a character boundary. */
      g_utf8_validate (text, -1, &valid_end);
      while (end < valid_end)
        {
          const char *next = g_utf8_next_char (end);
          if (next - text > WS_ERROR_TEXT_SIZE)
            break;
          end = next;
        }
      memcpy (msg->u.error.text, text, end - text);
    }
}

/* The UDP data header: magic, flags, stream id, reserved, seq, send time. */
gsize
ws_udp_header_encode (const WsUdpHeader *header,
                      guint8            *buf,
                      gsize              size)
{
  Writer w = { buf };

  if (size < WS_UDP_HEADER_SIZE)
    return 0;
  put_u8 (&w, WS_UDP_MAGIC);
  put_u8 (&w, header->flags);
  put_u16 (&w, header->stream_id);
  put_u32 (&w, header->reserved);
  put_u64 (&w, header->seq);
  put_u64 (&w, header->send_ns);
  return WS_UDP_HEADER_SIZE;
}

gboolean
ws_udp_header_decode (const guint8 *buf,
                      gsize         len,
                      WsUdpHeader  *header)
{
  Reader r = { buf };

  if (len < WS_UDP_HEADER_SIZE || buf[0] != WS_UDP_MAGIC)
    return FALSE;
  skip (&r, 1);
  header->flags = get_u8 (&r);
  header->stream_id = get_u16 (&r);
  header->reserved = get_u32 (&r);
  header->seq = get_u64 (&r);
  header->send_ns = get_u64 (&r);
  return TRUE;
}

/* Stream @index's part of a @total-byte direction over @streams streams:
 * the first total mod streams streams carry one byte more, so the parts
 * add up to @total exactly, and both sides compute the same split. */
guint64
ws_test_bytes_share (guint64 total,
                     guint   streams,
                     guint   index)
{
  g_return_val_if_fail (streams > 0, 0);
  return total / streams + (index < total % streams ? 1 : 0);
}

/* How many data streams a request asks for, all directions and the probe
 * counted: ids run from 0 to this − 1. */
guint
ws_test_request_n_streams (const WsTestRequest *request)
{
  guint n = request->streams;

  if (!ws_test_mode_is_rr (request->mode) && request->direction == WS_DIRECTION_BIDIR)
    n *= 2;
  if (request->flags & WS_REQUEST_FLAG_PROBE)
    n++;
  return n;
}

/* The role of stream @id: in bidir tests the first half are uploads; the
 * probe, when asked for, is the last id. */
WsStreamRole
ws_test_request_stream_role (const WsTestRequest *request,
                             guint                id)
{
  if ((request->flags & WS_REQUEST_FLAG_PROBE) && id == ws_test_request_n_streams (request) - 1)
    return WS_ROLE_PROBE;
  if (ws_test_mode_is_rr (request->mode))
    return WS_ROLE_RR;
  switch (request->direction)
    {
    case WS_DIRECTION_UPLOAD:
      return WS_ROLE_CLIENT_SENDS;
    case WS_DIRECTION_DOWNLOAD:
      return WS_ROLE_SERVER_SENDS;
    default:
      return id < request->streams ? WS_ROLE_CLIENT_SENDS : WS_ROLE_SERVER_SENDS;
    }
}

/* Probes are UDP whatever the mode; everything else follows the mode. */
gboolean
ws_stream_role_is_udp (const WsTestRequest *request,
                       WsStreamRole         role)
{
  return role == WS_ROLE_PROBE || ws_test_mode_is_udp (request->mode);
}

const char *
ws_message_type_to_string (guint8 version,
                           guint8 type)
{
  static const char * const v1_names[] = {
    [WS_V1_TEST_REQUEST] = "TEST_REQUEST", [WS_V1_TEST_REPLY] = "TEST_REPLY",
    [WS_V1_TEST_DONE] = "TEST_DONE", [WS_V1_TEST_RESULTS] = "TEST_RESULTS",
  };
  static const char * const v2_names[256] = {
    [WS_MSG_HELLO] = "HELLO", [WS_MSG_HELLO_REPLY] = "HELLO_REPLY",
    [WS_MSG_TEST_REQUEST] = "TEST_REQUEST", [WS_MSG_TEST_ACCEPT] = "TEST_ACCEPT",
    [WS_MSG_STREAM_HELLO] = "STREAM_HELLO", [WS_MSG_TEST_START] = "TEST_START",
    [WS_MSG_TEST_DONE] = "TEST_DONE", [WS_MSG_INTERVAL] = "INTERVAL",
    [WS_MSG_STREAM_RESULT] = "STREAM_RESULT", [WS_MSG_RESULTS_END] = "RESULTS_END",
    [WS_MSG_KEEPALIVE] = "KEEPALIVE", [WS_MSG_STREAM_ACK] = "STREAM_ACK",
    [WS_MSG_UDP_STATS] = "UDP_STATS", [WS_MSG_AUTH] = "AUTH",
    [WS_MSG_TEST_GRANT] = "TEST_GRANT", [WS_MSG_TEST_BYTES] = "TEST_BYTES",
    [WS_MSG_CLIENT_ADDRESS] = "CLIENT_ADDRESS",
    [WS_MSG_ERROR] = "ERROR",
  };

  if (version == WS_PROTOCOL_V1 && type >= 1 && type <= 4)
    return v1_names[type];
  if (version == WS_PROTOCOL_V2 && v2_names[type] != NULL)
    return v2_names[type];
  return "UNKNOWN";
}
