/* ws-client-backend.h — one kind of peer a client can test against
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-result.h"
#include "ws-test-config.h"
#include "ws-time.h"

G_BEGIN_DECLS

/* What answers at the target's port. Adding a kind: a value here, its
 * name in ws_peer_kind_to_string(), a backend implementing
 * WsClientBackend, and its case in ws_client_backend_new(). */
typedef enum {
  WS_PEER_UNKNOWN,    /* could not tell: the GError says why */
  WS_PEER_WIRESPEED,  /* our own protocol, version 2 */
  WS_PEER_IPERF3,     /* an iperf3 3.x server */
  WS_PEER_HTTP,       /* any web server, at a URL */
} WsPeerKind;

const char *ws_peer_kind_to_string (WsPeerKind kind);

/* The latency probe's pace, idle and under load: a light request/response
 * every few ms. */
#define WS_PROBE_INTERVAL_NS (15 * WS_NSEC_PER_MSEC)

typedef void (*WsSampleFunc) (const WsSample *sample,
                              gpointer        user_data);

/* How a backend reaches the person running the test; called from the
 * worker thread, the facade takes it to the caller's main context. */
typedef struct {
  WsSampleFunc sample;
  void (*notice) (char *text, gpointer user_data);   /* transfer full */
  void (*peer) (WsPeerKind kind, gpointer user_data); /* the peer answered */
  gpointer user_data;
} WsClientEvents;

/* One session with the peer, as the test plan asks for it: the test
 * itself, the idle probe, or one direction of a speed test. */
typedef struct {
  const WsTestConfig *config;
  gboolean loaded;         /* measure latency under this load too */
  WsSampleFunc on_sample;  /* NULL: the samples stay in the result */
  gpointer user_data;
} WsPhase;

/* What every backend is made with, and keeps for all its phases. */
typedef struct {
  WsTestConfig config;
  GCancellable *stop;
  WsClientEvents events;
} WsClientBackendSetup;

void ws_client_backend_setup_init  (WsClientBackendSetup *setup,
                                    const WsTestConfig   *config,
                                    GCancellable         *stop,
                                    const WsClientEvents *events);
void ws_client_backend_setup_clear (WsClientBackendSetup *setup);

/* A GObject interface rather than a vtable struct: backends are objects
 * with state across phases (the connection the probe left open, whether
 * the peer has just answered), refcounted and g_autoptr-able like every
 * other engine object. */
#define WS_TYPE_CLIENT_BACKEND (ws_client_backend_get_type ())
G_DECLARE_INTERFACE (WsClientBackend, ws_client_backend, WS, CLIENT_BACKEND, GObject)

struct _WsClientBackendInterface
{
  GTypeInterface parent_iface;

  /* What the peer is; this backend's own kind, or another one's when
   * the peer turned out to speak something else. */
  WsPeerKind (*identify)       (WsClientBackend    *self,
                                GError            **error);
  /* Refuses, before any phase runs, a test this peer cannot run. */
  gboolean   (*check)          (WsClientBackend    *self,
                                const WsTestConfig *config,
                                GError            **error);
  /* Whether the plan runs an idle-latency phase before a load: FALSE
   * when the backend measures idle latency inside the load itself. */
  gboolean   (*has_idle_probe) (WsClientBackend    *self);
  WsResult  *(*run_phase)      (WsClientBackend    *self,
                                const WsPhase      *phase,
                                GError            **error);
};

WsClientBackend *ws_client_backend_new            (WsPeerKind             kind,
                                                   const WsTestConfig    *config,
                                                   GCancellable          *stop,
                                                   const WsClientEvents  *events,
                                                   gboolean               detected);
WsPeerKind       ws_client_backend_identify       (WsClientBackend       *self,
                                                   GError               **error);
gboolean         ws_client_backend_check          (WsClientBackend       *self,
                                                   const WsTestConfig    *config,
                                                   GError               **error);
gboolean         ws_client_backend_has_idle_probe (WsClientBackend       *self);
WsResult        *ws_client_backend_run_phase      (WsClientBackend       *self,
                                                   const WsPhase         *phase,
                                                   GError               **error);

WsResult *ws_client_result_new           (const WsTestConfig *config);
void      ws_client_result_set_addresses (WsResult           *result,
                                          GSocket            *control,
                                          GSocketAddress     *remote);
void      ws_client_result_copy_peer     (WsResult           *into,
                                          const WsResult     *from);

G_END_DECLS
