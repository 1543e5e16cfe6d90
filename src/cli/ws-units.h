/* ws-units.h — numbers as people read them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *ws_format_bitrate (gdouble      bits_per_second);
char     *ws_format_bytes   (guint64      bytes);
gboolean  ws_parse_size     (const char  *text,
                             guint64     *bytes);

G_END_DECLS
