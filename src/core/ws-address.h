/* ws-address.h — socket addresses in the one text form results carry
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

char     *ws_address_format           (GSocketAddress        *address);
gboolean  ws_address_is_valid         (const char            *text);
GInetAddress *ws_address_unmap       (GInetAddress          *address);
char     *ws_address_format_inet      (GInetAddress          *inet,
                                       guint16                port);

G_END_DECLS
