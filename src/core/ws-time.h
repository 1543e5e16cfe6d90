/* ws-time.h — the one clock every measurement uses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WS_NSEC_PER_SEC G_GINT64_CONSTANT (1000000000)
#define WS_NSEC_PER_MSEC G_GINT64_CONSTANT (1000000)

gint64 ws_now_ns (void);

G_END_DECLS
