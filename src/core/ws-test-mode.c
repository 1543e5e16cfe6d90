/* ws-test-mode.c — test modes and directions, and their names in results
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-test-mode.h"

gboolean
ws_test_mode_is_udp (WsTestMode mode)
{
  return mode == WS_TEST_UDP_STREAM || mode == WS_TEST_UDP_RR;
}

gboolean
ws_test_mode_is_rr (WsTestMode mode)
{
  return mode == WS_TEST_TCP_RR || mode == WS_TEST_UDP_RR;
}

static const char * const mode_names[] = {
  [WS_TEST_TCP_STREAM] = "TCP_STREAM",
  [WS_TEST_TCP_RR] = "TCP_RR",
  [WS_TEST_UDP_STREAM] = "UDP_STREAM",
  [WS_TEST_UDP_RR] = "UDP_RR",
};

const char *
ws_test_mode_to_string (WsTestMode mode)
{
  if (mode == WS_TEST_SPEED)
    return "SPEED";
  if (mode == WS_TEST_HTTP)
    return "HTTP";
  if (mode < WS_TEST_TCP_STREAM || mode > WS_TEST_UDP_RR)
    return "UNKNOWN";
  return mode_names[mode];
}

gboolean
ws_test_mode_from_string (const char *str,
                          WsTestMode *mode)
{
  g_return_val_if_fail (str != NULL, FALSE);
  for (guint i = WS_TEST_TCP_STREAM; i <= WS_TEST_UDP_RR; i++)
    if (g_ascii_strcasecmp (str, mode_names[i]) == 0)
      {
        *mode = i;
        return TRUE;
      }
  if (g_ascii_strcasecmp (str, "SPEED") == 0)
    {
      *mode = WS_TEST_SPEED;
      return TRUE;
    }
  if (g_ascii_strcasecmp (str, "HTTP") == 0)
    {
      *mode = WS_TEST_HTTP;
      return TRUE;
    }
  return FALSE;
}

const char *
ws_direction_to_string (WsDirection direction)
{
  switch (direction)
    {
    case WS_DIRECTION_UPLOAD:
      return "upload";
    case WS_DIRECTION_DOWNLOAD:
      return "download";
    case WS_DIRECTION_BIDIR:
      return "bidir";
    default:
      return "unknown";
    }
}
