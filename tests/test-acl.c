/* test-acl.c — the server's address lists, without a network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-acl.h"
#include "ws-address.h"

/* @address as a peer: "::ffff:127.0.0.1" is how a dual-stack listener
 * reports an IPv4 client. */
static gboolean
allows (WsAcl      *acl,
        const char *address)
{
  g_autoptr(GInetAddress) peer = g_inet_address_new_from_string (address);

  g_assert_nonnull (peer);
  return ws_acl_allows (acl, peer);
}

/* An ACL from "allow:…" and "deny:…" rules, every one valid. */
static WsAcl *
acl_from (const char * const *rules)
{
  WsAcl *acl = ws_acl_new ();

  for (guint i = 0; rules[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean deny = g_str_has_prefix (rules[i], "deny:");
      const char *cidr = strchr (rules[i], ':') + 1;

      g_assert_true (deny || g_str_has_prefix (rules[i], "allow:"));
      if (deny)
        ws_acl_deny (acl, cidr, &error);
      else
        ws_acl_allow (acl, cidr, &error);
      g_assert_no_error (error);
    }
  return acl;
}

static void
test_valid (void)
{
  static const char * const valid[] = {
    "192.0.2.0/24", "192.0.2.7", "192.0.2.7/32", "0.0.0.0/0", "10.0.0.0/8",
    "2001:db8::/32", "::1", "::1/128", "::/0", "fe80::/10", "::ffff:192.0.2.0/120",
    "255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "10.0.0.0/08",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(WsAcl) acl = ws_acl_new ();
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", valid[i]);
      g_assert_true (ws_acl_allow (acl, valid[i], &error));
      g_assert_no_error (error);
      g_assert_true (ws_acl_deny (acl, valid[i], &error));
      g_assert_no_error (error);
    }
}

static void
test_invalid (void)
{
  static const struct {
    const char *cidr;
    const char *message;
  } cases[] = {
#define NOT_AN_ADDRESS(s) \
    { s, "“" s "” is not an IPv4 or IPv6 address or network (like 192.0.2.0/24 or 2001:db8::/32)" }
#define BAD_PREFIX_4(s) { s, "“" s "”: the prefix length must be a number from 0 to 32 for IPv4" }
#define BAD_PREFIX_6(s) { s, "“" s "”: the prefix length must be a number from 0 to 128 for IPv6" }
    NOT_AN_ADDRESS (""),
    NOT_AN_ADDRESS ("/24"),
    NOT_AN_ADDRESS ("example.com"),
    NOT_AN_ADDRESS ("192.0.2"),
    NOT_AN_ADDRESS ("192.0.2.256"),
    NOT_AN_ADDRESS ("192.0.02.0"),
    NOT_AN_ADDRESS ("192.0.2.0 /24"),
    NOT_AN_ADDRESS (" 192.0.2.0"),
    NOT_AN_ADDRESS ("2001:db8:::/32"),
    NOT_AN_ADDRESS ("[::1]"),
    BAD_PREFIX_4 ("192.0.2.0/"),
    BAD_PREFIX_4 ("192.0.2.0/33"),
    BAD_PREFIX_4 ("192.0.2.0/-1"),
    BAD_PREFIX_4 ("192.0.2.0/+8"),
    BAD_PREFIX_4 ("192.0.2.0/ 8"),
    BAD_PREFIX_4 ("192.0.2.0/8 "),
    BAD_PREFIX_4 ("192.0.2.0/0x8"),
    BAD_PREFIX_4 ("192.0.2.0/0024"),
    BAD_PREFIX_4 ("192.0.2.0/24/8"),
    BAD_PREFIX_4 ("192.0.2.0/4294967320"),
    BAD_PREFIX_6 ("2001:db8::/129"),
    BAD_PREFIX_6 ("::/"),
    BAD_PREFIX_6 ("::1/1000"),
    { "192.0.2.1/24", "“192.0.2.1/24” has bits set after the /24 prefix: did you mean 192.0.2.0/24?" },
    { "11.0.0.0/7", "“11.0.0.0/7” has bits set after the /7 prefix: did you mean 10.0.0.0/7?" },
    { "192.0.2.1/0", "“192.0.2.1/0” has bits set after the /0 prefix: did you mean 0.0.0.0/0?" },
    { "192.0.2.129/25", "“192.0.2.129/25” has bits set after the /25 prefix: did you mean 192.0.2.128/25?" },
    { "2001:db8::1/32", "“2001:db8::1/32” has bits set after the /32 prefix: did you mean 2001:db8::/32?" },
    { "::1/127", "“::1/127” has bits set after the /127 prefix: did you mean ::/127?" },
#undef NOT_AN_ADDRESS
#undef BAD_PREFIX_4
#undef BAD_PREFIX_6
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WsAcl) acl = ws_acl_new ();
      g_autoptr(GError) allow_error = NULL;
      g_autoptr(GError) deny_error = NULL;

      g_test_message ("“%s”", cases[i].cidr);
      g_assert_false (ws_acl_allow (acl, cases[i].cidr, &allow_error));
      g_assert_error (allow_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
      g_assert_cmpstr (allow_error->message, ==, cases[i].message);
      g_assert_false (ws_acl_deny (acl, cases[i].cidr, &deny_error));
      g_assert_cmpstr (deny_error->message, ==, cases[i].message);
      /* A refused rule is not half added. */
      g_assert_true (allows (acl, "192.0.2.1"));
    }
}

/* /0, /32, /128, bare addresses, and prefixes that end inside a byte. */
static void
test_prefix_edges (void)
{
  static const char * const everything_v4[] = { "allow:0.0.0.0/0", NULL };
  static const char * const everything_v6[] = { "allow:::/0", NULL };
  static const char * const host_v4[] = { "allow:192.0.2.7/32", NULL };
  static const char * const bare_v4[] = { "allow:192.0.2.7", NULL };
  static const char * const host_v6[] = { "allow:2001:db8::7/128", NULL };
  static const char * const bare_v6[] = { "allow:2001:db8::7", NULL };
  static const char * const half_byte[] = { "allow:192.0.2.128/25", NULL };
  static const char * const odd_v6[] = { "allow:2001:db8::/33", NULL };
  g_autoptr(WsAcl) all4 = acl_from (everything_v4);
  g_autoptr(WsAcl) all6 = acl_from (everything_v6);
  g_autoptr(WsAcl) h4 = acl_from (host_v4);
  g_autoptr(WsAcl) b4 = acl_from (bare_v4);
  g_autoptr(WsAcl) h6 = acl_from (host_v6);
  g_autoptr(WsAcl) b6 = acl_from (bare_v6);
  g_autoptr(WsAcl) half = acl_from (half_byte);
  g_autoptr(WsAcl) odd = acl_from (odd_v6);

  /* /0 is a whole family, and only that family. */
  g_assert_true (allows (all4, "0.0.0.0"));
  g_assert_true (allows (all4, "255.255.255.255"));
  g_assert_true (allows (all4, "::ffff:198.51.100.1"));
  g_assert_false (allows (all4, "::1"));
  g_assert_false (allows (all4, "2001:db8::1"));
  g_assert_true (allows (all6, "::"));
  g_assert_true (allows (all6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  g_assert_false (allows (all6, "192.0.2.1"));
  g_assert_false (allows (all6, "::ffff:192.0.2.1"));

  /* /32, /128 and a bare address: one host. */
  for (WsAcl **acl = (WsAcl *[]) { h4, b4, NULL }; *acl != NULL; acl++)
    {
      g_assert_true (allows (*acl, "192.0.2.7"));
      g_assert_true (allows (*acl, "::ffff:192.0.2.7"));
      g_assert_false (allows (*acl, "192.0.2.6"));
      g_assert_false (allows (*acl, "192.0.2.8"));
      g_assert_false (allows (*acl, "::192.0.2.7")); /* IPv4-compatible is not mapped */
    }
  for (WsAcl **acl = (WsAcl *[]) { h6, b6, NULL }; *acl != NULL; acl++)
    {
      g_assert_true (allows (*acl, "2001:db8::7"));
      g_assert_false (allows (*acl, "2001:db8::6"));
      g_assert_false (allows (*acl, "2001:db8::8"));
      g_assert_false (allows (*acl, "192.0.2.7"));
    }

  /* A prefix that ends inside a byte. */
  g_assert_true (allows (half, "192.0.2.128"));
  g_assert_true (allows (half, "192.0.2.255"));
  g_assert_false (allows (half, "192.0.2.127"));
  g_assert_false (allows (half, "192.0.3.128"));
  g_assert_true (allows (odd, "2001:db8:7fff:ffff::1"));
  g_assert_false (allows (odd, "2001:db8:8000::1"));
  g_assert_false (allows (odd, "2001:db9::1"));
}

/* A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d: IPv4 rules
 * must hold for them, and mapped rules are IPv4 rules. */
static void
test_mapped (void)
{
  static const char * const deny_v4[] = { "deny:127.0.0.1/32", NULL };
  static const char * const mapped_rule[] = { "allow:::ffff:10.0.0.0/104", NULL };
  static const char * const mapped_host[] = { "deny:::ffff:127.0.0.1", NULL };
  g_autoptr(WsAcl) d = acl_from (deny_v4);
  g_autoptr(WsAcl) m = acl_from (mapped_rule);
  g_autoptr(WsAcl) h = acl_from (mapped_host);
  g_autoptr(GInetAddress) v6 = g_inet_address_new_from_string ("::ffff:192.0.2.7");
  g_autoptr(GInetAddress) v4 = ws_address_unmap (v6);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GInetAddress) same = ws_address_unmap (loopback);
  g_autofree char *text = g_inet_address_to_string (v4);

  g_assert_cmpint (g_inet_address_get_family (v4), ==, G_SOCKET_FAMILY_IPV4);
  g_assert_cmpstr (text, ==, "192.0.2.7");
  g_assert_true (same == loopback);

  g_assert_false (allows (d, "127.0.0.1"));
  g_assert_false (allows (d, "::ffff:127.0.0.1"));
  g_assert_true (allows (d, "::1"));
  g_assert_true (allows (d, "127.0.0.2"));

  g_assert_true (allows (m, "10.1.2.3"));
  g_assert_true (allows (m, "::ffff:10.1.2.3"));
  g_assert_false (allows (m, "11.0.0.1"));
  g_assert_false (allows (m, "::1"));

  g_assert_false (allows (h, "127.0.0.1"));
  g_assert_false (allows (h, "::ffff:127.0.0.1"));
  g_assert_true (allows (h, "::1"));
}

static void
test_deny_wins (void)
{
  static const char * const rules[] = {
    "deny:10.1.0.0/16", "allow:10.0.0.0/8", "allow:10.1.2.3", "deny:2001:db8::/48",
    "allow:2001:db8::/32", NULL,
  };
  g_autoptr(WsAcl) acl = acl_from (rules);

  g_assert_true (allows (acl, "10.2.0.1"));
  g_assert_false (allows (acl, "10.1.2.3"));          /* allowed exactly, denied wider */
  g_assert_false (allows (acl, "::ffff:10.1.2.3"));
  g_assert_false (allows (acl, "192.0.2.1"));         /* allow rules exist: not listed */
  g_assert_true (allows (acl, "2001:db8:1::1"));
  g_assert_false (allows (acl, "2001:db8:0:1::1"));
  g_assert_false (allows (acl, "::1"));
}

static void
test_defaults (void)
{
  static const char * const none[] = { NULL };
  static const char * const deny_only[] = { "deny:192.0.2.0/24", NULL };
  g_autoptr(WsAcl) empty = acl_from (none);
  g_autoptr(WsAcl) d = acl_from (deny_only);
  g_autoptr(GInetAddress) any = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  /* No list, or an empty one: everybody. */
  g_assert_true (ws_acl_allows (NULL, any));
  g_assert_true (allows (empty, "192.0.2.1"));
  g_assert_true (allows (empty, "::1"));
  /* Deny rules only: everybody else. */
  g_assert_false (allows (d, "192.0.2.1"));
  g_assert_true (allows (d, "192.0.3.1"));
  g_assert_true (allows (d, "2001:db8::1"));
}

static void
test_refcount (void)
{
  WsAcl *acl = ws_acl_new ();

  g_assert_true (ws_acl_ref (acl) == acl);
  ws_acl_unref (acl);
  g_assert_true (ws_acl_deny (acl, "192.0.2.0/24", NULL));
  g_assert_false (ws_acl_deny (acl, "192.0.2.0/33", NULL));
  ws_acl_unref (acl);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/acl/parse/valid", test_valid);
  g_test_add_func ("/acl/parse/invalid", test_invalid);
  g_test_add_func ("/acl/prefix-edges", test_prefix_edges);
  g_test_add_func ("/acl/mapped", test_mapped);
  g_test_add_func ("/acl/deny-wins", test_deny_wins);
  g_test_add_func ("/acl/defaults", test_defaults);
  g_test_add_func ("/acl/refcount", test_refcount);
  return g_test_run ();
}
