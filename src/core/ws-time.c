/* ws-time.c
 *
 * GLib 2.74 has no g_get_monotonic_time_ns(), and microseconds are too coarse
 * for request/response timing on loopback, so read CLOCK_MONOTONIC directly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <time.h>

#include "ws-time.h"

gint64
ws_now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * WS_NSEC_PER_SEC + ts.tv_nsec;
}
