/* ws-client-address.c — the CLIENT_ADDRESS message's address, to and from sockets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-address.h"
#include "ws-client-address.h"

/* What the server puts in CLIENT_ADDRESS; FALSE when @address is not IP. */
gboolean
ws_client_address_from_socket (GSocketAddress  *address,
                               WsClientAddress *out)
{
  g_autoptr(GInetAddress) plain = NULL;
  GInetSocketAddress *inet;
  gsize size;

  memset (out, 0, sizeof *out);
  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return FALSE;
  inet = G_INET_SOCKET_ADDRESS (address);
  plain = ws_address_unmap (g_inet_socket_address_get_address (inet));
  size = g_inet_address_get_native_size (plain);
  if (size > sizeof out->address)
    return FALSE;
  out->family = size == 4 ? WS_ADDRESS_FAMILY_IPV4 : WS_ADDRESS_FAMILY_IPV6;
  out->port = g_inet_socket_address_get_port (inet);
  memcpy (out->address, g_inet_address_to_bytes (plain), size);
  return TRUE;
}

/* Returns: (transfer full): a decoded CLIENT_ADDRESS in the text form. */
char *
ws_client_address_format (const WsClientAddress *address)
{
  GSocketFamily family = address->family == WS_ADDRESS_FAMILY_IPV4 ? G_SOCKET_FAMILY_IPV4
                                                                    : G_SOCKET_FAMILY_IPV6;
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_bytes (address->address, family);

  return ws_address_format_inet (inet, address->port);
}
