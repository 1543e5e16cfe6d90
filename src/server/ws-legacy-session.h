/* ws-legacy-session.h — a version 1 (seed protocol) test, server side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

gboolean ws_legacy_session_run (GSocket       *control,
                                guint8         test_type,
                                guint          idle_timeout_s,
                                GCancellable  *cancellable,
                                guint64       *udp_packets,
                                GError       **error);

G_END_DECLS
