/* ws-peer-probe.h — what kind of server answers at a port
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-client-backend.h"
#include "ws-wirespeed-control.h"

G_BEGIN_DECLS

WsPeerKind ws_peer_probe (WsControl           *control,
                          const WsTestConfig  *config,
                          gboolean            *spoilt,
                          GError             **error);

G_END_DECLS
