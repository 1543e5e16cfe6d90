/* ws-test-plan.h — the phases of a test, run through any backend
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-client-backend.h"

G_BEGIN_DECLS

WsResult *ws_test_plan_run (WsClientBackend      *backend,
                            const WsTestConfig   *config,
                            const WsClientEvents *events,
                            GError              **error);

G_END_DECLS
