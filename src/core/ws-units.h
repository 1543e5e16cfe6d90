/* ws-units.h — numbers as people read them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char     *ws_format_bitrate (gdouble      bits_per_second);
char     *ws_format_bytes   (guint64      bytes);
char     *ws_format_byterate (gdouble     bits_per_second);
gdouble   ws_nice_ceiling   (gdouble      value);
gdouble   ws_axis_ceiling   (gdouble      value);
gdouble   ws_axis_ceiling_bps (gdouble    max_bps,
                               gboolean   bytes);
gboolean  ws_parse_duration_upto (const char  *text,
                                  gint64       max_s,
                                  gint64      *seconds);
gboolean  ws_parse_rate     (const char  *text,
                             guint64     *bits_per_second);
gboolean  ws_parse_size     (const char  *text,
                             guint64     *bytes);
gboolean  ws_parse_decimal_size (const char  *text,
                                 guint64     *bytes);

const char *ws_rpm_band_name (gdouble rpm);

G_END_DECLS
