/* ws-wirespeed-session.h — one session with a Wirespeed server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-client-backend.h"
#include "ws-wirespeed-control.h"

G_BEGIN_DECLS

WsResult *ws_wirespeed_session_run (WsControl             *control,
                                    const WsPhase         *phase,
                                    const WsClientEvents  *events,
                                    GCancellable          *stop,
                                    GError               **error);

G_END_DECLS
