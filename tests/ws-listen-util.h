/* ws-listen-util.h — whether a port is listening, without connecting
 *
 * An iperf3 server counts any connection as a client (and -1 exits after
 * it), and closes its listening socket after each one: tests wait for it
 * by reading /proc instead of knocking.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <string.h>

/* Whether something listens on TCP @port: connecting would use up a
 * one-off iperf3 server's only test, so look in /proc instead. */
static inline gboolean
is_listening (guint16 port)
{
  const char *files[] = { "/proc/net/tcp", "/proc/net/tcp6" };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *text = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (files[i], &text, NULL, NULL))
        continue;
      lines = g_strsplit (text, "\n", -1);
      for (guint j = 1; lines[j] != NULL; j++)
        {
          g_auto(GStrv) f = g_strsplit_set (g_strstrip (lines[j]), " ", -1);
          guint n = 0;
          const char *local = NULL, *state = NULL;

          for (guint k = 0; f[k] != NULL; k++)
            if (*f[k] != '\0')
              {
                if (n == 1)
                  local = f[k];
                else if (n == 3)
                  state = f[k];
                n++;
              }
          if (local && state && strchr (local, ':') != NULL
              && g_ascii_strtoull (strrchr (local, ':') + 1, NULL, 16) == port
              && strcmp (state, "0A") == 0)
            return TRUE;
        }
    }
  return FALSE;
}

/* Waits until @port listens; fails the test after @seconds. */
static inline void
wait_listening (guint16 port,
                guint   seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!is_listening (port))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (20000);
    }
}
