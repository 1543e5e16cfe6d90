/* ws-protocol.c — the Wirespeed wire codec: framing, limits, helpers
 *
 * Every field is big-endian and every message of a given version and type
 * has one fixed size; docs/PROTOCOL.md is the byte-by-byte specification.
 * Messages are decoded in ws-protocol-decode.c, encoded in
 * ws-protocol-encode.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-protocol-private.h"

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
  [WS_MSG_COLLECT] = 8,
  [WS_MSG_COLLECT_ACCEPT] = 12,
  [WS_MSG_ERROR] = 128,
};

static const guint8 v1_size[] = {
  [WS_V1_TEST_REQUEST] = 3,
  [WS_V1_TEST_REPLY] = 4,
  [WS_V1_TEST_DONE] = 2,
  [WS_V1_TEST_RESULTS] = 10,
};

gssize
ws_protocol_v2_payload (guint8 type)
{
  guint16 n = v2_payload_size[type];

  if (n == 0)
    return -1;
  return n == EMPTY ? 0 : n;
}

guint8
ws_protocol_v1_size (guint8 type)
{
  return type < G_N_ELEMENTS (v1_size) ? v1_size[type] : 0;
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

/* Protocol diagnostics stay English: the server sends them back in ERROR
 * messages and logs them, and a client quotes them after its own
 * translated words ("The server does not speak the Wirespeed protocol:"). */
gboolean
ws_protocol_invalid (GError     **error,
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

gboolean
ws_test_request_validate (const WsTestRequest  *r,
                          GError              **error)
{
  if (r->mode < WS_TEST_TCP_STREAM || r->mode > WS_TEST_UDP_RR)
    return ws_protocol_invalid (error, "Unknown test mode %u", r->mode);
  if (r->direction > WS_DIRECTION_BIDIR)
    return ws_protocol_invalid (error, "Unknown direction %u", r->direction);
  if (r->streams < 1 || r->streams > WS_MAX_STREAMS)
    return ws_protocol_invalid (error, "Stream count %u is outside 1–%u", r->streams, WS_MAX_STREAMS);
  if (r->duration_ms < WS_MIN_DURATION_MS || r->duration_ms > WS_MAX_DURATION_MS)
    return ws_protocol_invalid (error, "Duration %u ms is outside %u–%u ms", r->duration_ms,
                    WS_MIN_DURATION_MS, WS_MAX_DURATION_MS);
  if (r->interval_ms < WS_MIN_INTERVAL_MS || r->interval_ms > WS_MAX_INTERVAL_MS)
    return ws_protocol_invalid (error, "Interval %u ms is outside %u–%u ms", r->interval_ms,
                    WS_MIN_INTERVAL_MS, WS_MAX_INTERVAL_MS);
  if (r->length < 1 || r->length > WS_MAX_LENGTH)
    return ws_protocol_invalid (error, "Message length %u is outside 1–%u bytes", r->length, WS_MAX_LENGTH);
  if (r->rr_request_size < 1 || r->rr_request_size > WS_MAX_RR_SIZE
      || r->rr_response_size < 1 || r->rr_response_size > WS_MAX_RR_SIZE)
    return ws_protocol_invalid (error, "Request/response sizes %u,%u are outside 1–%u bytes",
                    r->rr_request_size, r->rr_response_size, WS_MAX_RR_SIZE);
  if (r->flags & ~WS_REQUEST_KNOWN_FLAGS)
    return ws_protocol_invalid (error, "Unknown request flags 0x%08x", r->flags & ~WS_REQUEST_KNOWN_FLAGS);
  if ((r->flags & WS_REQUEST_FLAG_BYTES) && ws_test_mode_is_rr (r->mode))
    return ws_protocol_invalid (error, "A fixed-size test needs TCP_STREAM or UDP_STREAM");
  return TRUE;
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
    [WS_MSG_CLIENT_ADDRESS] = "CLIENT_ADDRESS", [WS_MSG_COLLECT] = "COLLECT",
    [WS_MSG_COLLECT_ACCEPT] = "COLLECT_ACCEPT",
    [WS_MSG_ERROR] = "ERROR",
  };

  if (version == WS_PROTOCOL_V1 && type >= 1 && type <= 4)
    return v1_names[type];
  if (version == WS_PROTOCOL_V2 && v2_names[type] != NULL)
    return v2_names[type];
  return "UNKNOWN";
}
