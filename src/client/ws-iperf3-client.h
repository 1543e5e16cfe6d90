/* ws-iperf3-client.h — a test against an iperf3 server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-client-backend.h"

G_BEGIN_DECLS

WsResult *ws_iperf3_client_run (const WsTestConfig  *config,
                                gboolean             just_answered,
                                GCancellable        *stop,
                                WsSampleFunc         on_sample,
                                gpointer             user_data,
                                GError             **error);

G_END_DECLS
