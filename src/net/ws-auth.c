/* ws-auth.c — shared-secret authentication, HMAC-SHA256 challenge–response
 *
 * The server sends a fresh random nonce in HELLO_REPLY; the client answers
 * AUTH with a key name and HMAC-SHA256(secret, "wirespeed-auth-v1" NUL ‖
 * nonce ‖ name). The secret never crosses the wire and an answer is good
 * for one connection only. A wrong name and a wrong secret look the same to
 * the client, and take the same time on the server.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "ws-auth.h"

#define AUTH_CONTEXT "wirespeed-auth-v1"
#define MAX_KEY_FILE_SIZE (1024 * 1024)

struct _WsAuth {
  gint ref_count;
  GHashTable *secrets; /* name → secret */
};

/* A name is what the AUTH message can carry. */
static gboolean
valid_name (const char *name,
            gsize       len)
{
  if (len == 0 || len > WS_AUTH_NAME_SIZE)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (name[i] < 0x21 || name[i] > 0x7e || name[i] == ':')
      return FALSE;
  return TRUE;
}

/* "NAME:SECRET" → name, secret; the secret may itself contain ':'. */
gboolean
ws_auth_parse_key (const char  *text,
                   char       **name,
                   char       **secret,
                   GError     **error)
{
  const char *colon = strchr (text, ':');

  if (colon == NULL || !valid_name (text, colon - text) || colon[1] == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           /* Translators: NAME:SECRET is the format of a key; keep it as is. */
                           _("a key is NAME:SECRET, with a name of 1–64 printable characters "
                             "(no spaces or ‘:’) and a secret that is not empty"));
      return FALSE;
    }
  *name = g_strndup (text, colon - text);
  *secret = g_strdup (colon + 1);
  return TRUE;
}

static void
add_line (WsAuth      *self,
          const char  *line,
          const char  *origin,
          guint        number,
          GError     **error)
{
  g_autofree char *name = NULL;
  g_autofree char *secret = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ws_auth_parse_key (line, &name, &secret, &local_error))
    {
      /* Translators: a file name, a line number, then what is wrong. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s line %u: %s"),
                   origin, number, local_error->message);
      return;
    }
  if (g_hash_table_contains (self->secrets, name))
    {
      /* Translators: a file name, a line number, then a key's name. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s line %u: the name %s appears twice"),
                   origin, number, name);
      return;
    }
  g_hash_table_insert (self->secrets, g_steal_pointer (&name), g_steal_pointer (&secret));
}

WsAuth *
ws_auth_new_from_data (const char  *data,
                       const char  *origin,
                       GError     **error)
{
  g_autoptr(WsAuth) self = g_new0 (WsAuth, 1);
  g_auto(GStrv) lines = g_strsplit (data, "\n", -1);

  self->ref_count = 1;
  self->secrets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      char *line = g_strstrip (lines[i]);

      if (*line == '\0' || *line == '#')
        continue;
      add_line (self, line, origin, i + 1, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  if (g_hash_table_size (self->secrets) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s has no NAME:SECRET line"), origin);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* Secrets in a file others can read are no secrets: refuse, as ssh does. */
static gboolean
read_private_file (const char  *path,
                   char       **contents,
                   GError     **error)
{
  struct stat st;
  gsize length;

  if (stat (path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (st.st_mode & 0077)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("%s is readable by other users; make it private with chmod 600"), path);
      return FALSE;
    }
  if (st.st_size > MAX_KEY_FILE_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s is too large for a key file"), path);
      return FALSE;
    }
  return g_file_get_contents (path, contents, &length, error);
}

WsAuth *
ws_auth_new_from_file (const char  *path,
                       GError     **error)
{
  g_autofree char *contents = NULL;

  if (!read_private_file (path, &contents, error))
    return NULL;
  return ws_auth_new_from_data (contents, path, error);
}

/* The client's key file holds one NAME:SECRET line (comments allowed). */
gboolean
ws_auth_read_key_file (const char  *path,
                       char       **name,
                       char       **secret,
                       GError     **error)
{
  g_autoptr(WsAuth) auth = ws_auth_new_from_file (path, error);
  GHashTableIter iter;
  gpointer key, value;

  if (auth == NULL)
    return FALSE;
  if (g_hash_table_size (auth->secrets) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s must hold exactly one NAME:SECRET line"), path);
      return FALSE;
    }
  g_hash_table_iter_init (&iter, auth->secrets);
  g_hash_table_iter_next (&iter, &key, &value);
  *name = g_strdup (key);
  *secret = g_strdup (value);
  return TRUE;
}

WsAuth *
ws_auth_ref (WsAuth *self)
{
  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
ws_auth_unref (WsAuth *self)
{
  if (self == NULL || !g_atomic_int_dec_and_test (&self->ref_count))
    return;
  g_hash_table_unref (self->secrets);
  g_free (self);
}

guint
ws_auth_get_n_keys (WsAuth *self)
{
  return g_hash_table_size (self->secrets);
}

void
ws_auth_compute (const char   *name,
                 const char   *secret,
                 const guint8  nonce[WS_NONCE_SIZE],
                 guint8        mac[WS_AUTH_MAC_SIZE])
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret, strlen (secret));
  gsize len = WS_AUTH_MAC_SIZE;

  g_hmac_update (hmac, (const guchar *) AUTH_CONTEXT, sizeof AUTH_CONTEXT); /* with its NUL */
  g_hmac_update (hmac, nonce, WS_NONCE_SIZE);
  g_hmac_update (hmac, (const guchar *) name, strlen (name));
  g_hmac_get_digest (hmac, mac, &len);
}

static gboolean
equal_in_constant_time (const guint8 *a,
                        const guint8 *b,
                        gsize         n)
{
  guint8 diff = 0;

  for (gsize i = 0; i < n; i++)
    diff |= a[i] ^ b[i];
  return diff == 0;
}

/* An unknown name costs an HMAC too, so timing tells names from secrets
 * no better than the answer does. */
gboolean
ws_auth_verify (WsAuth       *self,
                const char   *name,
                const guint8  nonce[WS_NONCE_SIZE],
                const guint8  mac[WS_AUTH_MAC_SIZE])
{
  const char *secret = g_hash_table_lookup (self->secrets, name);
  guint8 expected[WS_AUTH_MAC_SIZE];
  gboolean same;

  ws_auth_compute (name, secret ? secret : "\x01unknown name", nonce, expected);
  same = equal_in_constant_time (expected, mac, WS_AUTH_MAC_SIZE);
  return secret != NULL && same;
}
