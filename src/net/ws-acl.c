/* ws-acl.c — which peer addresses the server talks to
 *
 * Two lists of networks, allow and deny. Deny wins; with no allow rule
 * every address not denied is allowed, with allow rules only the addresses
 * they match. A dual-stack listener reports IPv4 peers as IPv4-mapped IPv6
 * addresses (::ffff:192.0.2.7): those are compared as the IPv4 addresses
 * they are, so "--deny 192.0.2.0/24" means what it says on such a listener
 * too. Rules written in mapped form (::ffff:192.0.2.0/120) become the IPv4
 * rule they stand for; any other IPv6 rule never matches an IPv4 peer.
 *
 * Pure: no I/O, no locking. The server builds its list before it starts
 * and only reads it afterwards.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <string.h>

#include "ws-acl.h"
#include "ws-address.h"

typedef struct {
  GSocketFamily family;
  guint8 bytes[16];
  guint prefix;
} Rule;

struct _WsAcl {
  gint ref_count;
  GArray *allow; /* Rule */
  GArray *deny;  /* Rule */
};

WsAcl *
ws_acl_new (void)
{
  WsAcl *acl = g_new0 (WsAcl, 1);

  acl->ref_count = 1;
  acl->allow = g_array_new (FALSE, FALSE, sizeof (Rule));
  acl->deny = g_array_new (FALSE, FALSE, sizeof (Rule));
  return acl;
}

WsAcl *
ws_acl_ref (WsAcl *acl)
{
  g_atomic_int_inc (&acl->ref_count);
  return acl;
}

void
ws_acl_unref (WsAcl *acl)
{
  if (!g_atomic_int_dec_and_test (&acl->ref_count))
    return;
  g_array_unref (acl->allow);
  g_array_unref (acl->deny);
  g_free (acl);
}

/* ::ffff:a.b.c.d, the form in which an IPv6 socket reports IPv4 peers. */
static gboolean
is_mapped (const guint8 *bytes)
{
  static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  return memcmp (bytes, prefix, sizeof prefix) == 0;
}

static gboolean
parse_prefix (const char *text,
              guint       max,
              guint      *prefix)
{
  guint64 value;

  if (*text == '\0' || strlen (text) > 3)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  value = g_ascii_strtoull (text, NULL, 10);
  if (value > max)
    return FALSE;
  *prefix = value;
  return TRUE;
}

/* Whether any bit of @bytes after the first @prefix bits is set. */
static gboolean
has_host_bits (const guint8 *bytes,
               gsize         size,
               guint         prefix)
{
  for (gsize i = prefix / 8; i < size; i++)
    {
      guint8 host_mask = i == prefix / 8 ? 0xff >> (prefix % 8) : 0xff;

      if (bytes[i] & host_mask)
        return TRUE;
    }
  return FALSE;
}

/* A mistyped network ("192.0.2.1/24") is refused rather than silently
 * widened or narrowed: the person means one of two things, and we say
 * which network the prefix would give. */
static void
set_host_bits_error (GError       **error,
                     const char    *cidr,
                     const guint8  *bytes,
                     gsize          size,
                     guint          prefix)
{
  guint8 network[16];
  g_autoptr(GInetAddress) address = NULL;
  g_autofree char *text = NULL;

  memcpy (network, bytes, size);
  for (gsize i = prefix / 8; i < size; i++)
    network[i] &= i == prefix / 8 ? ~(0xff >> (prefix % 8)) : 0;
  address = g_inet_address_new_from_bytes (network, size == 4 ? G_SOCKET_FAMILY_IPV4
                                                               : G_SOCKET_FAMILY_IPV6);
  text = g_inet_address_to_string (address);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               /* Translators: a network as typed, its prefix length, then the network it likely means. */
               _("“%s” has bits set after the /%u prefix: did you mean %s/%u?"),
               cidr, prefix, text, prefix);
}

/* A rule written as an IPv4-mapped IPv6 network is that IPv4 network. */
static void
unmap_rule (Rule *rule)
{
  if (rule->family != G_SOCKET_FAMILY_IPV6 || rule->prefix < 96 || !is_mapped (rule->bytes))
    return;
  memmove (rule->bytes, rule->bytes + 12, 4);
  memset (rule->bytes + 4, 0, 12);
  rule->family = G_SOCKET_FAMILY_IPV4;
  rule->prefix -= 96;
}

static gboolean
parse_rule (const char  *cidr,
            Rule        *rule,
            GError     **error)
{
  const char *slash = strchr (cidr, '/');
  g_autofree char *host = slash ? g_strndup (cidr, slash - cidr) : g_strdup (cidr);
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);
  gsize size;
  guint max;

  if (address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IPv4 or IPv6 address or network "
                     "(like 192.0.2.0/24 or 2001:db8::/32)"), cidr);
      return FALSE;
    }
  rule->family = g_inet_address_get_family (address);
  size = g_inet_address_get_native_size (address);
  max = size * 8;
  rule->prefix = max;
  if (slash != NULL && !parse_prefix (slash + 1, max, &rule->prefix))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   /* Translators: a network as typed, a number, then “IPv4” or “IPv6”. */
                   _("“%s”: the prefix length must be a number from 0 to %u for %s"),
                   cidr, max, size == 4 ? "IPv4" : "IPv6");
      return FALSE;
    }
  memset (rule->bytes, 0, sizeof rule->bytes);
  memcpy (rule->bytes, g_inet_address_to_bytes (address), size);
  if (has_host_bits (rule->bytes, size, rule->prefix))
    {
      set_host_bits_error (error, cidr, rule->bytes, size, rule->prefix);
      return FALSE;
    }
  unmap_rule (rule);
  return TRUE;
}

/**
 * ws_acl_allow:
 * @cidr: "192.0.2.0/24", "2001:db8::/32", or a bare address (/32, /128)
 *
 * Adds an allow rule. Returns: FALSE, with @error saying why in a sentence
 * that names @cidr, when @cidr is not a network.
 */
gboolean
ws_acl_allow (WsAcl       *acl,
              const char  *cidr,
              GError     **error)
{
  Rule rule;

  if (!parse_rule (cidr, &rule, error))
    return FALSE;
  g_array_append_val (acl->allow, rule);
  return TRUE;
}

/* As ws_acl_allow(), for a deny rule. */
gboolean
ws_acl_deny (WsAcl       *acl,
             const char  *cidr,
             GError     **error)
{
  Rule rule;

  if (!parse_rule (cidr, &rule, error))
    return FALSE;
  g_array_append_val (acl->deny, rule);
  return TRUE;
}

static gboolean
rule_matches (const Rule    *rule,
              GSocketFamily  family,
              const guint8  *bytes)
{
  guint whole = rule->prefix / 8, rest = rule->prefix % 8;
  guint8 mask = 0xff << (8 - rest);

  if (rule->family != family || memcmp (rule->bytes, bytes, whole) != 0)
    return FALSE;
  return rest == 0 || (rule->bytes[whole] & mask) == (bytes[whole] & mask);
}

static gboolean
any_matches (GArray        *rules,
             GSocketFamily  family,
             const guint8  *bytes)
{
  for (guint i = 0; i < rules->len; i++)
    if (rule_matches (&g_array_index (rules, Rule, i), family, bytes))
      return TRUE;
  return FALSE;
}

/**
 * ws_acl_allows:
 * @acl: (nullable): no list allows everybody
 *
 * Returns: whether the server may talk to @address.
 */
gboolean
ws_acl_allows (WsAcl        *acl,
               GInetAddress *address)
{
  g_autoptr(GInetAddress) peer = NULL;
  GSocketFamily family;
  const guint8 *bytes;

  if (acl == NULL)
    return TRUE;
  peer = ws_address_unmap (address);
  family = g_inet_address_get_family (peer);
  bytes = g_inet_address_to_bytes (peer);
  if (any_matches (acl->deny, family, bytes))
    return FALSE;
  return acl->allow->len == 0 || any_matches (acl->allow, family, bytes);
}
