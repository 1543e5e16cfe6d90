/* ws-address.h — socket addresses as the result and CLIENT_ADDRESS carry them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

char     *ws_address_format           (GSocketAddress        *address);
gboolean  ws_address_is_valid         (const char            *text);
gboolean  ws_client_address_from_socket (GSocketAddress      *address,
                                         WsClientAddress     *out);
char     *ws_client_address_format    (const WsClientAddress *address);

G_END_DECLS
