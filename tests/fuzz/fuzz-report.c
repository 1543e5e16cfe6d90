/* fuzz-report.c — libFuzzer harness for what a collector reads from agents
 *
 * The first byte picks the reader, the rest is its input:
 *  0: a report frame header (8 bytes) under a report limit taken from the
 *     next 4 bytes, then everything after it as that frame's payload, given
 *     to the frame's own decoder (ACK, CONFIG, ERROR; REPORT → the JSON);
 *  1: an ACK payload;  2: a CONFIG payload;  3: an ERROR payload;
 *  anything else: a REPORT payload (the JSON of section 10.3).
 *
 * Oracles: a header accepted has a known type and a length within its
 * bounds (a REPORT within the limit); an ACK or a report accepted, written
 * back and read again, is the same; an id that reads as 16 bytes writes
 * back as the same UUID; a CONFIG's text is valid UTF-8 without a NUL and
 * only with status NEW.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "ws-frame.h"
#include "ws-report.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

static void
check_ack (const guint8 *data,
           size_t        size)
{
  guint8 buf[WS_FRAME_HEADER_SIZE + WS_FRAME_ACK_FIXED + WS_FRAME_TEXT_MAX];
  WsFrameHeader header;
  WsAck ack, again;
  gsize n;

  if (!ws_ack_decode (data, size, &ack, NULL))
    return;
  FUZZ_CHECK (g_utf8_validate (ack.text, -1, NULL));
  n = ws_ack_encode (&ack, buf, sizeof buf);
  FUZZ_CHECK (n >= WS_FRAME_HEADER_SIZE + WS_FRAME_ACK_FIXED);
  FUZZ_CHECK (ws_frame_header_decode (buf, WS_REPORT_DEFAULT_MAX, &header, NULL));
  FUZZ_CHECK (header.type == WS_FRAME_ACK && header.length == n - WS_FRAME_HEADER_SIZE);
  FUZZ_CHECK (ws_ack_decode (buf + WS_FRAME_HEADER_SIZE, header.length, &again, NULL));
  FUZZ_CHECK (memcmp (&ack, &again, sizeof ack) == 0);
}

static void
check_config (const guint8 *data,
              size_t        size)
{
  g_autofree char *text = NULL;
  WsConfigStatus status;

  if (!ws_config_decode (data, size, &status, &text, NULL))
    return;
  FUZZ_CHECK ((status == WS_CONFIG_NEW) == (text != NULL));
  if (text != NULL)
    {
      g_autoptr(GBytes) frame = ws_config_encode (status, text);

      FUZZ_CHECK (g_utf8_validate (text, -1, NULL));
      FUZZ_CHECK (g_bytes_get_size (frame) == WS_FRAME_HEADER_SIZE + size);
    }
}

static void
check_error (const guint8 *data,
             size_t        size)
{
  guint8 buf[WS_FRAME_HEADER_SIZE + 128];
  WsErrorMessage e, again;

  if (!ws_frame_error_decode (data, size, &e, NULL))
    return;
  FUZZ_CHECK (g_utf8_validate (e.text, -1, NULL));
  FUZZ_CHECK (ws_frame_error_encode (e.code, e.text, buf) == sizeof buf);
  FUZZ_CHECK (ws_frame_error_decode (buf + WS_FRAME_HEADER_SIZE, 128, &again, NULL));
  FUZZ_CHECK (again.code == e.code && strcmp (again.text, e.text) == 0);
}

static gboolean
same_string (const char *a,
             const char *b)
{
  return g_strcmp0 (a, b) == 0;
}

static void
check_report (const guint8 *data,
              size_t        size)
{
  g_autoptr(WsReport) report = ws_report_new_from_json ((const char *) data, size, NULL);
  g_autoptr(WsReport) again = NULL;
  g_autofree char *json = NULL;
  g_autofree char *id_text = NULL;
  g_autofree char *lower = NULL;
  guint8 id[WS_REPORT_ID_SIZE];

  if (report == NULL)
    return;
  FUZZ_CHECK (ws_report_id_to_bytes (report->id, id));
  id_text = ws_report_id_from_bytes (id);
  lower = g_ascii_strdown (report->id, -1);
  FUZZ_CHECK (strcmp (id_text, lower) == 0);
  json = ws_report_to_json (report);
  again = ws_report_new_from_json (json, strlen (json), NULL);
  FUZZ_CHECK (again != NULL);
  FUZZ_CHECK (same_string (again->id, report->id) && same_string (again->agent, report->agent));
  FUZZ_CHECK (same_string (again->local_address, report->local_address));
  FUZZ_CHECK (same_string (again->seen_address, report->seen_address));
  FUZZ_CHECK (same_string (again->error, report->error));
  FUZZ_CHECK (again->server_tests == report->server_tests);
  FUZZ_CHECK (again->result->mode == report->result->mode);
}

static void
check_frame (const guint8 *data,
             size_t        size)
{
  WsFrameHeader header;
  guint32 max_report;
  const guint8 *payload;
  size_t rest;

  if (size < 4 + WS_FRAME_HEADER_SIZE)
    return;
  max_report = ((guint32) data[0] << 24) | ((guint32) data[1] << 16) | ((guint32) data[2] << 8) | data[3];
  if (!ws_frame_header_decode (data + 4, max_report, &header, NULL))
    return;
  FUZZ_CHECK (header.type == WS_FRAME_REPORT || header.type == WS_FRAME_ACK
              || header.type == WS_FRAME_CONFIG_GET || header.type == WS_FRAME_CONFIG
              || header.type == WS_FRAME_ERROR);
  FUZZ_CHECK (header.type != WS_FRAME_REPORT || header.length <= max_report);
  FUZZ_CHECK (header.type != WS_FRAME_CONFIG_GET || header.length == WS_FRAME_DIGEST_SIZE);
  payload = data + 4 + WS_FRAME_HEADER_SIZE;
  rest = MIN (size - 4 - WS_FRAME_HEADER_SIZE, header.length);
  if (header.type == WS_FRAME_ACK)
    check_ack (payload, rest);
  else if (header.type == WS_FRAME_CONFIG)
    check_config (payload, rest);
  else if (header.type == WS_FRAME_ERROR)
    check_error (payload, rest);
  else if (header.type == WS_FRAME_REPORT)
    check_report (payload, rest);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  if (size == 0)
    return 0;
  switch (data[0])
    {
    case 0:
      check_frame (data + 1, size - 1);
      break;
    case 1:
      check_ack (data + 1, size - 1);
      break;
    case 2:
      check_config (data + 1, size - 1);
      break;
    case 3:
      check_error (data + 1, size - 1);
      break;
    default:
      check_report (data + 1, size - 1);
      break;
    }
  return 0;
}
