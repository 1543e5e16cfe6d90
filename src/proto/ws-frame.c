/* ws-frame.c — report framing (docs/PROTOCOL.md, section 10)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-frame.h"
#include "ws-protocol-private.h"

#define ERROR_PAYLOAD 128

/* The payload bounds of each type: a frame outside them is refused from
 * its header, before a byte of it is read. */
static gboolean
length_fits (WsFrameType type,
             guint32     length,
             guint32     max_report)
{
  switch (type)
    {
    case WS_FRAME_REPORT:
      return length >= 2 && length <= max_report;
    case WS_FRAME_ACK:
      return length >= WS_FRAME_ACK_FIXED && length <= WS_FRAME_ACK_FIXED + WS_FRAME_TEXT_MAX;
    case WS_FRAME_CONFIG_GET:
      return length == WS_FRAME_DIGEST_SIZE;
    case WS_FRAME_CONFIG:
      return length >= WS_FRAME_CONFIG_FIXED && length <= WS_FRAME_CONFIG_FIXED + WS_FRAME_CONFIG_MAX;
    case WS_FRAME_ERROR:
      return length == ERROR_PAYLOAD;
    default:
      return FALSE;
    }
}

static gboolean
type_known (guint8 type)
{
  return type == WS_FRAME_REPORT || type == WS_FRAME_ACK || type == WS_FRAME_CONFIG_GET
         || type == WS_FRAME_CONFIG || type == WS_FRAME_ERROR;
}

/**
 * ws_frame_header_decode:
 * @buf: WS_FRAME_HEADER_SIZE bytes
 * @max_report: the largest REPORT payload taken
 *
 * Returns: FALSE with UNSUPPORTED_VERSION, UNKNOWN_TYPE or BAD_MESSAGE (a
 * length outside the type's bounds, a REPORT over @max_report).
 */
gboolean
ws_frame_header_decode (const guint8  *buf,
                        guint32        max_report,
                        WsFrameHeader *header,
                        GError       **error)
{
  Reader r = { buf };
  guint8 version = get_u8 (&r);
  guint8 type = get_u8 (&r);
  guint16 reserved = get_u16 (&r);
  guint32 length = get_u32 (&r);

  (void) reserved;
  if (version != WS_PROTOCOL_V2)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION,
                   "Report frame of version %u", version);
      return FALSE;
    }
  if (!type_known (type))
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNKNOWN_TYPE,
                   "Unknown report frame type 0x%02x", type);
      return FALSE;
    }
  if (!length_fits (type, length, max_report))
    {
      if (type == WS_FRAME_REPORT && length > max_report)
        g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                     "A report of %u bytes is over this collector's limit of %u", length, max_report);
      else
        g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                     "Report frame 0x%02x with a payload of %u bytes", type, length);
      return FALSE;
    }
  header->type = type;
  header->length = length;
  return TRUE;
}

void
ws_frame_header_encode (WsFrameType type,
                        guint32     length,
                        guint8      buf[WS_FRAME_HEADER_SIZE])
{
  Writer w = { buf };

  put_u8 (&w, WS_PROTOCOL_V2);
  put_u8 (&w, type);
  put_u16 (&w, 0);
  put_u32 (&w, length);
}

/* Peer text is shown to people and logged: its valid UTF-8 prefix only. */
static void
copy_text (char         *out,
           const guint8 *text,
           gsize         len)
{
  const char *end = NULL;

  gsize kept;

  memcpy (out, text, len);
  out[len] = '\0';
  if (!g_utf8_validate (out, len, &end))
    out[end - out] = '\0';
  /* Equal texts make equal structs, whatever followed the cut. */
  kept = strlen (out);
  memset (out + kept, 0, len - kept);
}

void
ws_ack_init (WsAck        *ack,
             const guint8 *id,
             WsAckStatus   status,
             guint16       retry_after_s,
             const char   *text)
{
  const char *valid_end = NULL;
  const char *end;

  memset (ack, 0, sizeof *ack);
  if (id != NULL)
    memcpy (ack->id, id, WS_REPORT_ID_SIZE);
  ack->status = status;
  ack->retry_after_s = retry_after_s;
  if (text == NULL)
    return;
  g_utf8_validate (text, -1, &valid_end);
  for (end = text; end < valid_end; )
    {
      const char *next = g_utf8_next_char (end);
      if (next - text > WS_FRAME_TEXT_MAX)
        break;
      end = next;
    }
  memcpy (ack->text, text, end - text);
}

gboolean
ws_ack_decode (const guint8 *payload,
               gsize         len,
               WsAck        *ack,
               GError      **error)
{
  Reader r = { payload };

  if (len < WS_FRAME_ACK_FIXED || len > WS_FRAME_ACK_FIXED + WS_FRAME_TEXT_MAX)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   "ACK of %" G_GSIZE_FORMAT " bytes", len);
      return FALSE;
    }
  memset (ack, 0, sizeof *ack);
  get_bytes (&r, ack->id, WS_REPORT_ID_SIZE);
  ack->status = get_u8 (&r);
  skip (&r, 1);
  ack->retry_after_s = get_u16 (&r);
  copy_text (ack->text, r.p, len - WS_FRAME_ACK_FIXED);
  if (ack->status > WS_ACK_RETRY)
    return ws_protocol_invalid (error, "ACK status %u", ack->status);
  if ((ack->status == WS_ACK_RETRY) != (ack->retry_after_s > 0))
    return ws_protocol_invalid (error, "ACK retry_after of %u s with status %u",
                                ack->retry_after_s, ack->status);
  return TRUE;
}

/**
 * ws_ack_encode:
 * @buf: at least WS_FRAME_HEADER_SIZE + WS_FRAME_ACK_FIXED + WS_FRAME_TEXT_MAX bytes
 *
 * Returns: the frame's size, header included; 0 when @size is too small.
 */
gsize
ws_ack_encode (const WsAck *ack,
               guint8      *buf,
               gsize        size)
{
  gsize text_len = strnlen (ack->text, WS_FRAME_TEXT_MAX);
  gsize payload = WS_FRAME_ACK_FIXED + text_len;
  Writer w = { buf + WS_FRAME_HEADER_SIZE };

  if (size < WS_FRAME_HEADER_SIZE + payload)
    return 0;
  ws_frame_header_encode (WS_FRAME_ACK, payload, buf);
  put_bytes (&w, ack->id, WS_REPORT_ID_SIZE);
  put_u8 (&w, ack->status);
  put_zero (&w, 1);
  put_u16 (&w, ack->retry_after_s);
  put_bytes (&w, (const guint8 *) ack->text, text_len);
  return WS_FRAME_HEADER_SIZE + payload;
}

/* A configuration is a GKeyFile: text, so invalid UTF-8 or a NUL inside is
 * refused rather than cut (a cut schedule would run the wrong tests). */
gboolean
ws_config_decode (const guint8    *payload,
                  gsize            len,
                  WsConfigStatus  *status,
                  char           **text,
                  GError         **error)
{
  gsize text_len;

  *text = NULL;
  if (len < WS_FRAME_CONFIG_FIXED || len > WS_FRAME_CONFIG_FIXED + WS_FRAME_CONFIG_MAX)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   "CONFIG of %" G_GSIZE_FORMAT " bytes", len);
      return FALSE;
    }
  *status = payload[0];
  text_len = len - WS_FRAME_CONFIG_FIXED;
  if (*status > WS_CONFIG_NEW)
    return ws_protocol_invalid (error, "CONFIG status %u", *status);
  if ((*status == WS_CONFIG_NEW) != (text_len > 0))
    return ws_protocol_invalid (error, "CONFIG status %u with %" G_GSIZE_FORMAT " bytes of text",
                                *status, text_len);
  if (text_len == 0)
    return TRUE;
  if (memchr (payload + WS_FRAME_CONFIG_FIXED, '\0', text_len) != NULL
      || !g_utf8_validate ((const char *) payload + WS_FRAME_CONFIG_FIXED, text_len, NULL))
    return ws_protocol_invalid (error, "CONFIG text is not UTF-8");
  *text = g_strndup ((const char *) payload + WS_FRAME_CONFIG_FIXED, text_len);
  return TRUE;
}

/* Returns: the whole frame, header included. */
GBytes *
ws_config_encode (WsConfigStatus  status,
                  const char     *text)
{
  gsize text_len = status == WS_CONFIG_NEW && text != NULL ? strlen (text) : 0;
  gsize payload = WS_FRAME_CONFIG_FIXED + text_len;
  guint8 *buf;

  g_return_val_if_fail (text_len <= WS_FRAME_CONFIG_MAX, NULL);
  buf = g_malloc0 (WS_FRAME_HEADER_SIZE + payload);
  ws_frame_header_encode (WS_FRAME_CONFIG, payload, buf);
  buf[WS_FRAME_HEADER_SIZE] = status;
  if (text_len > 0)
    memcpy (buf + WS_FRAME_HEADER_SIZE + WS_FRAME_CONFIG_FIXED, text, text_len);
  return g_bytes_new_take (buf, WS_FRAME_HEADER_SIZE + payload);
}

/* The ERROR frame's payload is the v2 ERROR message's, so one decoder
 * judges both. */
gboolean
ws_frame_error_decode (const guint8   *payload,
                       gsize           len,
                       WsErrorMessage *error_msg,
                       GError        **error)
{
  guint8 buf[WS_V2_HEADER_SIZE + ERROR_PAYLOAD] = { WS_PROTOCOL_V2, WS_MSG_ERROR, 0, ERROR_PAYLOAD };
  WsMessage msg;

  if (len != ERROR_PAYLOAD)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   "ERROR frame of %" G_GSIZE_FORMAT " bytes", len);
      return FALSE;
    }
  memcpy (buf + WS_V2_HEADER_SIZE, payload, len);
  if (!ws_message_decode (buf, sizeof buf, &msg, NULL, error))
    return FALSE;
  *error_msg = msg.u.error;
  return TRUE;
}

gsize
ws_frame_error_encode (WsProtocolError  code,
                       const char      *text,
                       guint8           buf[WS_FRAME_HEADER_SIZE + ERROR_PAYLOAD])
{
  guint8 msg_buf[WS_V2_HEADER_SIZE + ERROR_PAYLOAD];
  WsMessage msg;

  ws_message_init_error (&msg, code, 0, text);
  if (ws_message_encode (&msg, msg_buf, sizeof msg_buf) != sizeof msg_buf)
    g_return_val_if_reached (0);
  ws_frame_header_encode (WS_FRAME_ERROR, ERROR_PAYLOAD, buf);
  memcpy (buf + WS_FRAME_HEADER_SIZE, msg_buf + WS_V2_HEADER_SIZE, ERROR_PAYLOAD);
  return WS_FRAME_HEADER_SIZE + ERROR_PAYLOAD;
}

/* A UUID's 16 bytes, any case; FALSE when @uuid is not one. */
gboolean
ws_report_id_to_bytes (const char *uuid,
                       guint8      out[WS_REPORT_ID_SIZE])
{
  gsize n = 0;

  if (uuid == NULL || !g_uuid_string_is_valid (uuid))
    return FALSE;
  for (const char *p = uuid; *p != '\0' && n < WS_REPORT_ID_SIZE; p++)
    {
      if (*p == '-')
        continue;
      out[n++] = (g_ascii_xdigit_value (p[0]) << 4) | g_ascii_xdigit_value (p[1]);
      p++;
    }
  return n == WS_REPORT_ID_SIZE;
}

/* The lowercase text form, as stores keep it. */
char *
ws_report_id_from_bytes (const guint8 *id)
{
  GString *s = g_string_sized_new (36);

  for (guint i = 0; i < WS_REPORT_ID_SIZE; i++)
    {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        g_string_append_c (s, '-');
      g_string_append_printf (s, "%02x", id[i]);
    }
  return g_string_free (s, FALSE);
}

const char *
ws_ack_status_name (WsAckStatus status)
{
  switch (status)
    {
    case WS_ACK_STORED:
      return "stored";
    case WS_ACK_DUPLICATE:
      return "duplicate";
    case WS_ACK_REJECTED:
      return "rejected";
    case WS_ACK_RETRY:
      return "retry";
    default:
      return "unknown";
    }
}
