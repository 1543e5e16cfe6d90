/* ws-client-address.h — the CLIENT_ADDRESS message's address, to and from sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

gboolean  ws_client_address_from_socket (GSocketAddress      *address,
                                         WsClientAddress     *out);
char     *ws_client_address_format    (const WsClientAddress *address);

G_END_DECLS
