/* ws-wirespeed-backend.c — tests against a Wirespeed server
 *
 * Our own protocol, version 2: each phase is a session of its own
 * (ws-wirespeed-session.c). The first connection also tells whether the
 * server at the port is ours at all (ws-peer-probe.c); when it is, that
 * connection goes on as the first session's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-peer-probe.h"
#include "ws-wirespeed-backend.h"
#include "ws-wirespeed-session.h"

struct _WsWirespeedBackend {
  GObject parent_instance;

  WsClientBackendSetup setup;
  WsControl *first;     /* the probe's connection, HELLO sent, for the
                         * first session */
};

static void client_backend_iface_init (WsClientBackendInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsWirespeedBackend, ws_wirespeed_backend, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_CLIENT_BACKEND,
                                                      client_backend_iface_init))

static WsPeerKind
ws_wirespeed_backend_identify (WsClientBackend  *backend,
                               GError          **error)
{
  WsWirespeedBackend *self = WS_WIRESPEED_BACKEND (backend);
  g_autoptr(WsControl) control = ws_control_connect (&self->setup.config, self->setup.stop, error);
  gboolean spoilt = FALSE;
  WsPeerKind kind;

  if (control == NULL || !ws_control_send_hello (control, error))
    return WS_PEER_UNKNOWN;
  kind = self->setup.config.tls ? WS_PEER_WIRESPEED
         : ws_peer_probe (control, &self->setup.config, &spoilt, error);
  if (kind == WS_PEER_WIRESPEED && !spoilt)
    self->first = g_steal_pointer (&control);
  return kind;
}

static gboolean
ws_wirespeed_backend_has_idle_probe (WsClientBackend *backend)
{
  return TRUE;
}

static WsResult *
ws_wirespeed_backend_run_phase (WsClientBackend  *backend,
                                const WsPhase    *phase,
                                GError          **error)
{
  WsWirespeedBackend *self = WS_WIRESPEED_BACKEND (backend);

  return ws_wirespeed_session_run (g_steal_pointer (&self->first), phase, &self->setup.events,
                                   self->setup.stop, error);
}

static void
client_backend_iface_init (WsClientBackendInterface *iface)
{
  iface->identify = ws_wirespeed_backend_identify;
  iface->has_idle_probe = ws_wirespeed_backend_has_idle_probe;
  iface->run_phase = ws_wirespeed_backend_run_phase;
}

static void
ws_wirespeed_backend_finalize (GObject *object)
{
  WsWirespeedBackend *self = WS_WIRESPEED_BACKEND (object);

  g_clear_pointer (&self->first, ws_control_free);
  ws_client_backend_setup_clear (&self->setup);

  G_OBJECT_CLASS (ws_wirespeed_backend_parent_class)->finalize (object);
}

static void
ws_wirespeed_backend_class_init (WsWirespeedBackendClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_wirespeed_backend_finalize;
}

static void
ws_wirespeed_backend_init (WsWirespeedBackend *self)
{
}

WsClientBackend *
ws_wirespeed_backend_new (const WsTestConfig   *config,
                          GCancellable         *stop,
                          const WsClientEvents *events)
{
  WsWirespeedBackend *self = g_object_new (WS_TYPE_WIRESPEED_BACKEND, NULL);

  ws_client_backend_setup_init (&self->setup, config, stop, events);
  return WS_CLIENT_BACKEND (self);
}
