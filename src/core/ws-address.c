/* ws-address.c — socket addresses in the one text form results carry
 *
 * One text form, "192.0.2.7:53210" or "[2001:db8::1]:53210", with
 * IPv4-mapped IPv6 addresses written as IPv4: a dual-stack server sees an
 * IPv4 client as ::ffff:a.b.c.d, and the client must be able to compare
 * that with its own IPv4 address as plain strings.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-address.h"

/* The longest text form: "[" IPv6 "]:" 65535, with room to spare. */
#define MAX_TEXT 64

/**
 * ws_address_unmap:
 *
 * Returns: (transfer full): the IPv4 address that @address maps, or
 * @address itself when it is not an IPv4-mapped IPv6 address.
 */
GInetAddress *
ws_address_unmap (GInetAddress *address)
{
  static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6
      && memcmp (bytes, prefix, sizeof prefix) == 0)
    return g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
  return g_object_ref (address);
}

/* @inet and @port in the text form; IPv4-mapped addresses as IPv4. */
char *
ws_address_format_inet (GInetAddress *inet,
                        guint16       port)
{
  g_autoptr(GInetAddress) plain = ws_address_unmap (inet);
  g_autofree char *ip = g_inet_address_to_string (plain);

  if (g_inet_address_get_family (plain) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("[%s]:%u", ip, port);
  return g_strdup_printf ("%s:%u", ip, port);
}

/**
 * ws_address_format:
 *
 * Returns: (transfer full) (nullable): @address in the text form above,
 * or NULL when it is not an IP address.
 */
char *
ws_address_format (GSocketAddress *address)
{
  GInetSocketAddress *inet;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return NULL;
  inet = G_INET_SOCKET_ADDRESS (address);
  return ws_address_format_inet (g_inet_socket_address_get_address (inet),
                      g_inet_socket_address_get_port (inet));
}

static gboolean
parse_port (const char *text)
{
  guint64 port;

  if (*text == '\0' || strlen (text) > 5)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  port = g_ascii_strtoull (text, NULL, 10);
  return port >= 1 && port <= G_MAXUINT16;
}

/* Stored results are untrusted and their addresses are printed: only the
 * exact form ws_address_format() writes is accepted. */
gboolean
ws_address_is_valid (const char *text)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autofree char *host = NULL;
  g_autofree char *again = NULL;
  const char *colon;
  gboolean v6;

  if (text == NULL || strlen (text) > MAX_TEXT)
    return FALSE;
  v6 = text[0] == '[';
  colon = strrchr (text, ':');
  if (colon == NULL || !parse_port (colon + 1))
    return FALSE;
  if (v6 && (colon - text < 3 || colon[-1] != ']'))
    return FALSE;
  host = v6 ? g_strndup (text + 1, colon - text - 2) : g_strndup (text, colon - text);
  inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    return FALSE;
  /* Written back, it must read the same: no mapped, padded or other
   * spelling of an address that compares unequal as a string. */
  again = ws_address_format_inet (inet, g_ascii_strtoull (colon + 1, NULL, 10));
  return g_str_equal (again, text);
}
