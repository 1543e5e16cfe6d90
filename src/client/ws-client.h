/* ws-client.h — runs one test against a peer: Wirespeed or iperf3
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-result.h"
#include "ws-test-config.h"

G_BEGIN_DECLS

#define WS_TYPE_CLIENT (ws_client_get_type ())
G_DECLARE_FINAL_TYPE (WsClient, ws_client, WS, CLIENT, GObject)

WsClient *ws_client_new        (void);
void      ws_client_run_async  (WsClient            *self,
                                const WsTestConfig  *config,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
WsResult *ws_client_run_finish (WsClient            *self,
                                GAsyncResult        *result,
                                GError             **error);

G_END_DECLS
