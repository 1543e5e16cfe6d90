/* ws-listen-util.h — whether a port is listening, without connecting
 *
 * An iperf3 server counts any connection as a client (and -1 exits after
 * it), and closes its listening socket after each one: tests wait for it
 * by reading /proc instead of knocking; and a test under way shows there
 * as its established connections.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <string.h>

/* How many TCP sockets with local port @port are in @state (hex, as
 * /proc/net/tcp writes it: "0A" listening, "01" established). */
static inline guint
count_sockets (guint16     port,
               const char *state_hex)
{
  const char *files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  guint count = 0;

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
              && strcmp (state, state_hex) == 0)
            count++;
        }
    }
  return count;
}

/* Whether something listens on TCP @port: connecting would use up a
 * one-off iperf3 server's only test, so look in /proc instead. */
static inline gboolean
is_listening (guint16 port)
{
  return count_sockets (port, "0A") > 0;
}

/* Waits until a server on @port holds @n established connections: an
 * iperf3 test is under way once its control and data connections are
 * both up (a loaded machine may take seconds to get there). */
static inline void
wait_established (guint16 port,
                  guint   n,
                  guint   seconds)
{
  gint64 end = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (count_sockets (port, "01") < n)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (20000);
    }
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

/* A port free when asked; another process may take it before ours binds. */
static inline guint16
pick_free_port (void)
{
  g_autoptr(GSocket) s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (s, sa, TRUE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Starts `iperf3 -s -p PORT [-1 -J]` and waits until it listens. When
 * another suite took the port first, iperf3 exits and a new port is tried:
 * suites run side by side. */
static inline GSubprocess *
spawn_iperf3_listening (const char *iperf3,
                        gboolean    one_off,
                        guint16    *port)
{
  /* Only a one-off server's JSON is read; a lasting one's could fill the pipe. */
  GSubprocessFlags flags = one_off
    ? G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE
    : G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *port_s = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) proc = NULL;

      *port = pick_free_port ();
      port_s = g_strdup_printf ("%u", *port);
      if (one_off)
        proc = g_subprocess_new (flags, &error, iperf3, "-s", "-1", "-J", "-p", port_s, NULL);
      else
        proc = g_subprocess_new (flags, &error, iperf3, "-s", "-p", port_s, NULL);
      g_assert_no_error (error);
      while (!is_listening (*port) && g_subprocess_get_identifier (proc) != NULL)
        {
          g_assert_cmpint (g_get_monotonic_time (), <, end);
          g_usleep (20000);
        }
      if (g_subprocess_get_identifier (proc) != NULL)
        return g_steal_pointer (&proc);
      g_test_message ("iperf3 could not listen on port %u; trying another", *port);
    }
}

/* Datagrams the kernel dropped because a UDP receive buffer was full, in
 * this network namespace, IPv4 and IPv6 together (/proc/net/snmp's and
 * snmp6's RcvbufErrors). On loopback that is the only way a datagram gets
 * lost: a receiver the scheduler starved, not a sender or a counter. */
static inline guint64
udp_rcvbuf_errors (void)
{
  g_autofree char *snmp = NULL;
  g_autofree char *snmp6 = NULL;
  guint64 total = 0;

  if (g_file_get_contents ("/proc/net/snmp", &snmp, NULL, NULL))
    {
      g_auto(GStrv) lines = g_strsplit (snmp, "\n", -1);

      for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
        if (g_str_has_prefix (lines[i], "Udp: ") && g_str_has_prefix (lines[i + 1], "Udp: "))
          {
            g_auto(GStrv) names = g_strsplit (lines[i], " ", -1);
            g_auto(GStrv) values = g_strsplit (lines[i + 1], " ", -1);

            for (guint k = 0; names[k] != NULL && values[k] != NULL; k++)
              if (g_str_equal (names[k], "RcvbufErrors"))
                total += g_ascii_strtoull (values[k], NULL, 10);
            break;
          }
    }
  if (g_file_get_contents ("/proc/net/snmp6", &snmp6, NULL, NULL))
    {
      const char *at = strstr (snmp6, "\nUdp6RcvbufErrors");

      if (at != NULL)
        total += g_ascii_strtoull (at + strlen ("\nUdp6RcvbufErrors"), NULL, 10);
    }
  return total;
}
