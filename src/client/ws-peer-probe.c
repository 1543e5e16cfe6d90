/* ws-peer-probe.c — what kind of server answers at a port
 *
 * iperf3 servers listen on our default port and say nothing until they
 * have read a 37-byte cookie; our HELLO has 16. After a silence that no
 * Wirespeed server keeps, the client sends the other 21 bytes: an iperf3
 * server then answers PARAM_EXCHANGE. A Wirespeed server that was merely
 * slow answers HELLO_REPLY and then chokes on the padding, so its
 * connection is spoilt and the test starts on a new one. Plaintext only:
 * a TLS ClientHello is longer than a cookie already.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <sys/socket.h>

#include "ws-io.h"
#include "ws-iperf3.h"
#include "ws-peer-probe.h"

/* How long a server may stay silent after HELLO before the client asks
 * whether it is iperf3: at least this, at most SNIFF_QUIET_MAX_NS, four
 * connect times in between (a Wirespeed server answers within one RTT). */
#define SNIFF_QUIET_NS (1 * WS_NSEC_PER_SEC)
#define SNIFF_QUIET_MAX_NS (3 * WS_NSEC_PER_SEC)

/* Judges the first byte the server sent, without taking it. Only iperf3
 * starts with 0xff (ACCESS_DENIED: busy, said before reading anything) or,
 * once it has a whole cookie, 9 (PARAM_EXCHANGE). */
static WsPeerKind
judge_first_byte (WsControl          *control,
                  const WsTestConfig *config,
                  gboolean            padded,
                  gboolean           *spoilt,
                  GError            **error)
{
  guint8 first;

  if (recv (g_socket_get_fd (control->socket), &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
    return WS_PEER_WIRESPEED;  /* closed or failed: the handshake says what */
  if (first == (guint8) WS_IPERF3_ACCESS_DENIED)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("The iperf3 server at %s port %u is busy running another test; try again later"),
                   config->target, config->port);
      return WS_PEER_UNKNOWN;
    }
  if (padded && first == WS_IPERF3_PARAM_EXCHANGE)
    return WS_PEER_IPERF3;
  *spoilt = padded && first == WS_PROTOCOL_V2;
  return WS_PEER_WIRESPEED;
}

/**
 * ws_peer_probe:
 * @control: a plaintext connection whose HELLO has just been sent
 * @spoilt: (out): set when the peer is a Wirespeed server but @control
 *   can no longer be used
 *
 * Returns: what answers on @control, or %WS_PEER_UNKNOWN with @error set
 */
WsPeerKind
ws_peer_probe (WsControl           *control,
               const WsTestConfig  *config,
               gboolean            *spoilt,
               GError             **error)
{
  static const guint8 padding[WS_IPERF3_COOKIE_SIZE - 16] = { 0 };
  gint64 quiet = CLAMP (4 * control->connect_ns, SNIFF_QUIET_NS, SNIFF_QUIET_MAX_NS);
  gint64 deadline = ws_now_ns () + WS_CONTROL_TIMEOUT_NS;
  g_autoptr(GError) local_error = NULL;

  *spoilt = FALSE;
  if (ws_channel_wait_readable (control->channel, ws_now_ns () + quiet, control->stop, &local_error))
    return judge_first_byte (control, config, FALSE, spoilt, error);
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return WS_PEER_UNKNOWN;
    }
  g_clear_error (&local_error);
  if (!ws_io_write_all (control->socket, padding, sizeof padding, deadline, control->stop, error))
    return WS_PEER_UNKNOWN;
  if (!ws_channel_wait_readable (control->channel, deadline, control->stop, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        ws_control_set_no_answer_error (error);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return WS_PEER_UNKNOWN;
    }
  return judge_first_byte (control, config, TRUE, spoilt, error);
}
