/* ws-iperf3-backend.c — tests against an iperf3 server
 *
 * Each phase is one iperf3 test (ws-iperf3-client.c). iperf3 has no idle
 * probe: a load phase's TCP handshake times stand for idle latency, its
 * TCP_INFO RTTs (or connect times) for latency under load.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ws-iperf3-backend.h"
#include "ws-iperf3-client.h"

struct _WsIperf3Backend {
  GObject parent_instance;

  WsClientBackendSetup setup;
  gboolean detected;   /* found by a probe that expected a Wirespeed server */
  gboolean answered;   /* the server answered a moment ago, so it may be
                        * between two tests when the next phase knocks */
};

static void client_backend_iface_init (WsClientBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsIperf3Backend, ws_iperf3_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_CLIENT_BACKEND,
                                                      client_backend_iface_init))

static WsPeerKind
ws_iperf3_backend_identify (WsClientBackend  *backend,
                            GError          **error)
{
  WsIperf3Backend *self = WS_IPERF3_BACKEND (backend);
  const WsTestConfig *config = &self->setup.config;
  const WsClientEvents *events = &self->setup.events;

  events->peer (WS_PEER_IPERF3, events->user_data);
  if (self->detected && !ws_test_mode_is_rr (config->mode))
    events->notice (g_strdup_printf (_("%s port %u is an iperf3 server: testing in iperf3’s protocol"),
                                     config->target, config->port),
                    events->user_data);
  return WS_PEER_IPERF3;
}

static gboolean
ws_iperf3_backend_check (WsClientBackend     *backend,
                         const WsTestConfig  *config,
                         GError             **error)
{
  if (!ws_test_mode_is_rr (config->mode))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               _("%s port %u is an iperf3 server, and iperf3 has no request/response tests: "
                 "run a speed test, TCP_STREAM or UDP_STREAM"),
               config->target, config->port);
  return FALSE;
}

static gboolean
ws_iperf3_backend_has_idle_probe (WsClientBackend *backend)
{
  return FALSE;
}

static WsResult *
ws_iperf3_backend_run_phase (WsClientBackend  *backend,
                             const WsPhase    *phase,
                             GError          **error)
{
  WsIperf3Backend *self = WS_IPERF3_BACKEND (backend);
  WsResult *result = ws_iperf3_client_run (phase->config, self->detected || self->answered,
                                           self->setup.stop, phase->on_sample, phase->user_data,
                                           error);

  self->answered |= result != NULL;
  return result;
}

static void
client_backend_iface_init (WsClientBackendInterface *iface)
{
  iface->identify = ws_iperf3_backend_identify;
  iface->check = ws_iperf3_backend_check;
  iface->has_idle_probe = ws_iperf3_backend_has_idle_probe;
  iface->run_phase = ws_iperf3_backend_run_phase;
}

static void
ws_iperf3_backend_finalize (GObject *object)
{
  WsIperf3Backend *self = WS_IPERF3_BACKEND (object);

  ws_client_backend_setup_clear (&self->setup);

  G_OBJECT_CLASS (ws_iperf3_backend_parent_class)->finalize (object);
}

static void
ws_iperf3_backend_class_init (WsIperf3BackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_iperf3_backend_finalize;
}

static void
ws_iperf3_backend_init (WsIperf3Backend *self)
{
}

WsClientBackend *
ws_iperf3_backend_new (const WsTestConfig   *config,
                       GCancellable         *stop,
                       const WsClientEvents *events,
                       gboolean              detected)
{
  WsIperf3Backend *self = g_object_new (WS_TYPE_IPERF3_BACKEND, NULL);

  ws_client_backend_setup_init (&self->setup, config, stop, events);
  self->detected = detected;
  return WS_CLIENT_BACKEND (self);
}
