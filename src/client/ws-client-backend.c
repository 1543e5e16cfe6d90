/* ws-client-backend.c — one kind of peer a client can test against
 *
 * The facade finds the backend for the peer (ws-client.c), the test plan
 * drives it phase by phase (ws-test-plan.c); each backend speaks its
 * peer's protocol for one phase at a time and hands back a WsResult.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-address.h"
#include "ws-client-backend.h"
#include "ws-http-backend.h"
#include "ws-iperf3-backend.h"
#include "ws-wirespeed-backend.h"

G_DEFINE_INTERFACE (WsClientBackend, ws_client_backend, G_TYPE_OBJECT)

static void
ws_client_backend_default_init (WsClientBackendInterface *iface)
{
}

/* The name the "peer" signal and peer_protocol use. */
const char *
ws_peer_kind_to_string (WsPeerKind kind)
{
  switch (kind)
    {
    case WS_PEER_WIRESPEED:
      return "wirespeed";
    case WS_PEER_IPERF3:
      return "iperf3";
    case WS_PEER_HTTP:
      return "http";
    case WS_PEER_UNKNOWN:
    default:
      return "unknown";
    }
}

/**
 * ws_client_backend_new:
 * @detected: the peer was found to be of @kind a moment ago, on a
 *   connection that expected another
 *
 * The backend that speaks to a peer of @kind.
 */
WsClientBackend *
ws_client_backend_new (WsPeerKind            kind,
                       const WsTestConfig   *config,
                       GCancellable         *stop,
                       const WsClientEvents *events,
                       gboolean              detected)
{
  switch (kind)
    {
    case WS_PEER_WIRESPEED:
      return ws_wirespeed_backend_new (config, stop, events);
    case WS_PEER_IPERF3:
      return ws_iperf3_backend_new (config, stop, events, detected);
    case WS_PEER_HTTP:
      return ws_http_backend_new (config, stop, events);
    case WS_PEER_UNKNOWN:
    default:
      g_return_val_if_reached (NULL);
    }
}

void
ws_client_backend_setup_init (WsClientBackendSetup *setup,
                              const WsTestConfig   *config,
                              GCancellable         *stop,
                              const WsClientEvents *events)
{
  ws_test_config_copy (&setup->config, config);
  setup->stop = g_object_ref (stop);
  setup->events = *events;
}

void
ws_client_backend_setup_clear (WsClientBackendSetup *setup)
{
  g_clear_object (&setup->stop);
  ws_test_config_clear (&setup->config);
}

WsPeerKind
ws_client_backend_identify (WsClientBackend  *self,
                            GError          **error)
{
  g_return_val_if_fail (WS_IS_CLIENT_BACKEND (self), WS_PEER_UNKNOWN);
  return WS_CLIENT_BACKEND_GET_IFACE (self)->identify (self, error);
}

gboolean
ws_client_backend_check (WsClientBackend     *self,
                         const WsTestConfig  *config,
                         GError             **error)
{
  WsClientBackendInterface *iface;

  g_return_val_if_fail (WS_IS_CLIENT_BACKEND (self), FALSE);
  iface = WS_CLIENT_BACKEND_GET_IFACE (self);
  return iface->check == NULL || iface->check (self, config, error);
}

gboolean
ws_client_backend_has_idle_probe (WsClientBackend *self)
{
  g_return_val_if_fail (WS_IS_CLIENT_BACKEND (self), FALSE);
  return WS_CLIENT_BACKEND_GET_IFACE (self)->has_idle_probe (self);
}

WsResult *
ws_client_backend_run_phase (WsClientBackend  *self,
                             const WsPhase    *phase,
                             GError          **error)
{
  g_return_val_if_fail (WS_IS_CLIENT_BACKEND (self), NULL);
  return WS_CLIENT_BACKEND_GET_IFACE (self)->run_phase (self, phase, error);
}

/* ---- The result's header ---- */

/**
 * ws_client_result_new:
 *
 * A result with the header @config asks for: target, port, mode,
 * direction, streams, duration, interval and (fixed-size streams only)
 * the size. What the peer granted (streams, duration, length, RR sizes),
 * who answered and when it started are set by whoever learns them.
 */
WsResult *
ws_client_result_new (const WsTestConfig *config)
{
  WsResult *r = ws_result_new ();
  gboolean sized = config->mode == WS_TEST_TCP_STREAM || config->mode == WS_TEST_UDP_STREAM
                   || config->mode == WS_TEST_HTTP;

  r->target = g_strdup (config->target);
  r->port = config->port;
  r->mode = config->mode;
  r->direction = config->direction;
  r->streams = config->streams;
  r->duration_s = config->duration_s;
  r->interval_s = config->interval_ms / 1000.0;
  r->bytes = sized ? config->bytes : 0;
  return r;
}

/* Where the control connection went, and this end of it. */
void
ws_client_result_set_addresses (WsResult       *result,
                                GSocket        *control,
                                GSocketAddress *remote)
{
  GInetAddress *address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (control, NULL);

  g_free (result->remote_address);
  result->remote_address = g_inet_address_to_string (address);
  g_free (result->local_address);
  result->local_address = ws_address_format (local);
}

/* Who answered a phase and when it started, for a result made of phases. */
void
ws_client_result_copy_peer (WsResult       *into,
                            const WsResult *from)
{
  g_free (into->remote_address);
  into->remote_address = g_strdup (from->remote_address);
  g_free (into->client_address);
  into->client_address = g_strdup (from->client_address);
  into->server_tests = from->server_tests;
  g_free (into->local_address);
  into->local_address = g_strdup (from->local_address);
  g_clear_pointer (&into->start_time, g_date_time_unref);
  into->start_time = from->start_time ? g_date_time_ref (from->start_time) : NULL;
  g_free (into->peer_protocol);
  into->peer_protocol = g_strdup (from->peer_protocol);
}
