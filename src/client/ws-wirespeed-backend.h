/* ws-wirespeed-backend.h — tests against a Wirespeed server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-client-backend.h"

G_BEGIN_DECLS

#define WS_TYPE_WIRESPEED_BACKEND (ws_wirespeed_backend_get_type ())
G_DECLARE_FINAL_TYPE (WsWirespeedBackend, ws_wirespeed_backend, WS, WIRESPEED_BACKEND, GObject)

WsClientBackend *ws_wirespeed_backend_new (const WsTestConfig   *config,
                                           GCancellable         *stop,
                                           const WsClientEvents *events);

G_END_DECLS
