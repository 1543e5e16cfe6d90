/* ws-agent-config.c — what an agent runs and where it reports: its file
 *
 * A GKeyFile (data/wirespeed-agent.conf is the commented example, and
 * docs/MONITORING.md the reference): an [agent] group with the collectors,
 * their TLS and the agent's key, then one group per schedule. Lists are
 * comma-separated. Every key is checked, unknown ones too, and a mistake
 * is one line that names the file, the group and the key.
 *
 * A central configuration (PROTOCOL.md 10.5) has the same format, but only
 * its schedules count: where an agent reports and with which key stays
 * the local file's, so a collector cannot send its agents elsewhere.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ws-agent-config.h"
#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-protocol.h"
#include "ws-server.h"
#include "ws-spool.h"
#include "ws-units.h"

#define WS_MAX_TEST_S (WS_MAX_DURATION_MS / 1000)

WsAgentConfig *
ws_agent_config_new (void)
{
  WsAgentConfig *config = g_new0 (WsAgentConfig, 1);

  config->collectors = g_ptr_array_new_with_free_func (g_free);
  config->schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_schedule_free);
  config->spool_max = WS_SPOOL_DEFAULT_MAX;
  return config;
}

void
ws_agent_config_free (WsAgentConfig *config)
{
  g_ptr_array_unref (config->collectors);
  g_ptr_array_unref (config->schedules);
  g_free (config->tls_ca_file);
  g_free (config->tls_fingerprint);
  g_free (config->auth_name);
  if (config->auth_secret != NULL)
    memset (config->auth_secret, 0, strlen (config->auth_secret));
  g_free (config->auth_secret);
  g_free (config->spool_path);
  g_free (config);
}

/* GLib takes "a:1;b:2" for one host (an IPv6 literal without brackets, it
 * hopes): a name is letters, digits, '-' and '.' (RFC 1123), or an IP
 * address, so a wrong list separator is an error here, not "Host not
 * found" at every delivery. */
static gboolean
host_name_valid (const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  if (g_hostname_is_ip_address (name))
    return TRUE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

/* HOST, HOST:PORT, [IPv6]:PORT or a bare IPv6 address; 5201 by default. */
gboolean
ws_collector_address_parse (const char  *text,
                            char       **host,
                            guint16     *port)
{
  g_autoptr(GSocketConnectable) address = NULL;

  if (text == NULL || *text == '\0' || strchr (text, '/') != NULL)
    return FALSE;
  address = g_network_address_parse (text, WS_DEFAULT_PORT, NULL);
  if (address == NULL || !host_name_valid (g_network_address_get_hostname (G_NETWORK_ADDRESS (address))))
    return FALSE;
  if (host != NULL)
    *host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
  if (port != NULL)
    *port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  return g_network_address_get_port (G_NETWORK_ADDRESS (address)) != 0;
}

/* ---- Values ---- */

static gboolean
invalid (GError    **error,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError    **error,
         const char *format,
         ...)
{
  va_list args;

  va_start (args, format);
  *error = g_error_new_valist (G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, format, args);
  va_end (args);
  return FALSE;
}

static gboolean
parse_uint (const char  *value,
            guint        min,
            guint        max,
            guint       *out,
            GError     **error)
{
  guint64 n;

  if (!g_ascii_string_to_unsigned (value, 10, min, max, &n, NULL))
    return invalid (error, _("must be a whole number from %u to %u, not “%s”"), min, max, value);
  *out = n;
  return TRUE;
}

static gboolean
parse_bool (const char  *value,
            gboolean    *out,
            GError     **error)
{
  if (g_strcmp0 (value, "true") == 0 || g_strcmp0 (value, "1") == 0)
    *out = TRUE;
  else if (g_strcmp0 (value, "false") == 0 || g_strcmp0 (value, "0") == 0)
    *out = FALSE;
  else
    return invalid (error, _("must be true or false, not “%s”"), value);
  return TRUE;
}

static gboolean
parse_seconds (const char  *value,
               gint64       min,
               gint64       max,
               gint64      *out,
               GError     **error)
{
  if (!ws_parse_duration (value, out) || *out < min || *out > max)
    return invalid (error, _("must be a duration like 90s, 5m or 1h30m, from %d s to %d s, not “%s”"),
                    (int) min, (int) max, value);
  return TRUE;
}

static gboolean
is_url (const char *target)
{
  return g_str_has_prefix (target, "http://") || g_str_has_prefix (target, "https://");
}

/* ---- A schedule's keys ---- */

typedef gboolean (*KeyParser) (WsSchedule  *s,
                               const char  *value,
                               GError     **error);

static gboolean
key_target (WsSchedule *s, const char *value, GError **error)
{
  if (*value == '\0')
    return invalid (error, _("must not be empty"));
  g_free (s->test.target);
  s->test.target = g_strdup (value);
  return TRUE;
}

/* The defaults of a test mode, as the command line has them. */
static gboolean
key_test (WsSchedule *s, const char *value, GError **error)
{
  if (!ws_test_mode_from_string (value, &s->test.mode))
    return invalid (error, _("must be TCP_STREAM, TCP_RR, UDP_STREAM, UDP_RR, SPEED or HTTP, not “%s”"),
                    value);
  return TRUE;
}

static gboolean
key_port (WsSchedule *s, const char *value, GError **error)
{
  guint port = 0;

  if (!parse_uint (value, 1, 65535, &port, error))
    return FALSE;
  s->test.port = port;
  return TRUE;
}

static gboolean
key_duration (WsSchedule *s, const char *value, GError **error)
{
  gint64 seconds;

  if (!parse_seconds (value, 1, WS_MAX_TEST_S, &seconds, error))
    return FALSE;
  s->test.duration_s = seconds;
  return TRUE;
}

static gboolean
key_streams (WsSchedule *s, const char *value, GError **error)
{
  return parse_uint (value, 1, WS_MAX_STREAMS, &s->test.streams, error);
}

static gboolean
key_direction (WsSchedule *s, const char *value, GError **error)
{
  for (WsDirection d = WS_DIRECTION_UPLOAD; d <= WS_DIRECTION_BIDIR; d++)
    if (g_ascii_strcasecmp (value, ws_direction_to_string (d)) == 0)
      {
        s->test.direction = d;
        return TRUE;
      }
  return invalid (error, _("must be upload, download or bidir, not “%s”"), value);
}

static gboolean
key_bitrate (WsSchedule *s, const char *value, GError **error)
{
  if (!ws_parse_rate (value, &s->test.bitrate))
    return invalid (error, _("must be a rate like 500K, 100M or 1G (0 = unlimited), not “%s”"), value);
  return TRUE;
}

static gboolean
key_length (WsSchedule *s, const char *value, GError **error)
{
  guint64 length;

  if (!ws_parse_size (value, &length) || length == 0 || length > WS_MAX_LENGTH)
    return invalid (error, _("must be a size between 1 and 16M bytes, not “%s”"), value);
  s->test.length = length;
  return TRUE;
}

static gboolean
key_bytes (WsSchedule *s, const char *value, GError **error)
{
  if (!ws_parse_decimal_size (value, &s->test.bytes) || s->test.bytes == 0)
    return invalid (error, _("must be a size like 10M or 1.5G (decimal), not “%s”"), value);
  return TRUE;
}

static gboolean
key_rr_size (WsSchedule *s, const char *value, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (value, ",", 2);
  guint64 req, resp;

  if (g_strv_length (parts) != 2 || !ws_parse_size (g_strstrip (parts[0]), &req)
      || !ws_parse_size (g_strstrip (parts[1]), &resp) || req == 0 || resp == 0
      || req > WS_MAX_RR_SIZE || resp > WS_MAX_RR_SIZE)
    return invalid (error, _("must be two sizes REQ,RESP of 1–65507 bytes, not “%s”"), value);
  s->test.rr_request_size = req;
  s->test.rr_response_size = resp;
  return TRUE;
}

static gboolean
key_iperf3 (WsSchedule *s, const char *value, GError **error)
{
  return parse_bool (value, &s->test.iperf3, error);
}

static gboolean
key_no_latency (WsSchedule *s, const char *value, GError **error)
{
  gboolean no_latency = FALSE;

  if (!parse_bool (value, &no_latency, error))
    return FALSE;
  s->test.latency_probe = !no_latency;
  return TRUE;
}

static gboolean
key_tls (WsSchedule *s, const char *value, GError **error)
{
  return parse_bool (value, &s->test.tls, error);
}

static gboolean
key_tls_ca (WsSchedule *s, const char *value, GError **error)
{
  g_free (s->test.tls_ca_file);
  s->test.tls_ca_file = g_strdup (value);
  s->test.tls = TRUE;
  return TRUE;
}

static gboolean
check_fingerprint (const char *value, GError **error)
{
  guint8 digest[32];

  if (!ws_tls_fingerprint_parse (value, digest))
    return invalid (error, _("must be a SHA-256 fingerprint, 64 hex digits (colons optional), not “%s”"),
                    value);
  return TRUE;
}

static gboolean
key_tls_fingerprint (WsSchedule *s, const char *value, GError **error)
{
  if (!check_fingerprint (value, error))
    return FALSE;
  g_free (s->test.tls_fingerprint);
  s->test.tls_fingerprint = g_strdup (value);
  s->test.tls = TRUE;
  return TRUE;
}

static gboolean
key_auth_key_file (WsSchedule *s, const char *value, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_pointer (&s->test.auth_name, g_free);
  g_clear_pointer (&s->test.auth_secret, g_free);
  if (!ws_auth_read_key_file (value, &s->test.auth_name, &s->test.auth_secret, &local_error))
    return invalid (error, "%s", local_error->message);
  return TRUE;
}

static gboolean
key_every (WsSchedule *s, const char *value, GError **error)
{
  s->kind = WS_SCHEDULE_EVERY;
  return parse_seconds (value, 1, WS_SCHEDULE_MAX_S, &s->every_s, error);
}

static gboolean
key_slip (WsSchedule *s, const char *value, GError **error)
{
  return parse_seconds (value, 0, WS_SCHEDULE_MAX_S, &s->slip_s, error);
}

static gboolean
key_at (WsSchedule *s, const char *value, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  s->kind = WS_SCHEDULE_AT;
  if (!ws_at_spec_parse (value, &s->at, &local_error))
    return invalid (error, "%s", local_error->message);
  return TRUE;
}

/* target and test come first: the others' defaults depend on them. */
static const struct {
  const char *key;
  KeyParser parse;
} schedule_keys[] = {
  { "target", key_target }, { "test", key_test },
  { "port", key_port }, { "duration", key_duration }, { "streams", key_streams },
  { "direction", key_direction }, { "bitrate", key_bitrate }, { "length", key_length },
  { "bytes", key_bytes }, { "rr-size", key_rr_size }, { "iperf3", key_iperf3 },
  { "no-latency", key_no_latency }, { "tls", key_tls }, { "tls-ca", key_tls_ca },
  { "tls-fingerprint", key_tls_fingerprint }, { "auth-key-file", key_auth_key_file },
  { "every", key_every }, { "slip", key_slip }, { "at", key_at },
};

static gint
find_schedule_key (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (schedule_keys); i++)
    if (strcmp (schedule_keys[i].key, key) == 0)
      return i;
  return -1;
}

/* ---- Errors: one line with the file, the group and the key ---- */

static gboolean
located (GError     **error,
         const char  *origin,
         const char  *group,
         const char  *key,
         GError      *cause)
{
  if (key != NULL)
    /* Translators: a file, a [group] of it, one of its keys, then what is wrong. */
    g_set_error (error, G_KEY_FILE_ERROR, cause->code, _("%s: [%s] %s: %s"), origin, group, key,
                 cause->message);
  else
    g_set_error (error, G_KEY_FILE_ERROR, cause->code, _("%s: [%s]: %s"), origin, group,
                 cause->message);
  g_error_free (cause);
  return FALSE;
}

static gboolean
group_error (GError     **error,
             const char  *origin,
             const char  *group,
             const char  *key,
             const char  *message)
{
  return located (error, origin, group, key,
                  g_error_new_literal (G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE, message));
}

/* ---- A schedule ---- */

static void
mode_defaults (WsSchedule *s)
{
  WsTestConfig *t = &s->test;

  if (is_url (t->target) && t->mode == WS_TEST_TCP_STREAM)
    t->mode = WS_TEST_HTTP;
  if (t->mode == WS_TEST_SPEED)
    {
      t->duration_s = 10;
      t->streams = 4;
    }
  if (t->mode == WS_TEST_HTTP)
    {
      t->duration_s = 10;
      t->direction = WS_DIRECTION_DOWNLOAD;
      t->tls = g_str_has_prefix (t->target, "https://");
    }
}

/* What one key alone cannot say. */
static gboolean
check_schedule (const WsSchedule  *s,
                const char        *origin,
                GError           **error)
{
  const WsTestConfig *t = &s->test;
  const char *group = s->name;

  if (s->kind == WS_SCHEDULE_EVERY && s->every_s == 0)
    return group_error (error, origin, group, NULL, _("a schedule needs “every” or “at”"));
  if (s->kind == WS_SCHEDULE_EVERY && s->slip_s >= s->every_s)
    return group_error (error, origin, group, "slip", _("must be shorter than “every”"));
  if (t->mode == WS_TEST_HTTP && !is_url (t->target))
    return group_error (error, origin, group, "target", _("test HTTP needs a URL: http://HOST/PATH or https://…"));
  if (t->mode == WS_TEST_HTTP && t->direction == WS_DIRECTION_BIDIR)
    return group_error (error, origin, group, "direction", _("an HTTP test goes one way: download or upload"));
  if (t->mode != WS_TEST_HTTP && is_url (t->target))
    return group_error (error, origin, group, "target", _("a URL is a target for test HTTP only"));
  if (t->bytes != 0 && t->mode != WS_TEST_TCP_STREAM && t->mode != WS_TEST_UDP_STREAM
      && t->mode != WS_TEST_HTTP)
    return group_error (error, origin, group, "bytes", _("works with TCP_STREAM, UDP_STREAM and HTTP only"));
  if (t->iperf3 && (t->tls || t->mode == WS_TEST_HTTP || ws_test_mode_is_rr (t->mode)))
    return group_error (error, origin, group, "iperf3",
                        _("iperf3 servers run TCP_STREAM, UDP_STREAM and SPEED, without TLS"));
  return TRUE;
}

static gboolean
apply_key (WsSchedule   *s,
           GKeyFile     *kf,
           const char   *origin,
           const char   *key,
           GError      **error)
{
  gint i = find_schedule_key (key);
  g_autofree char *value = NULL;
  GError *cause = NULL;

  if (i < 0)
    return group_error (error, origin, s->name, key, _("unknown key"));
  value = g_key_file_get_string (kf, s->name, key, &cause);
  if (value != NULL)
    g_strstrip (value);
  if (value == NULL || !schedule_keys[i].parse (s, value, &cause))
    return located (error, origin, s->name, key, cause);
  return TRUE;
}

static WsSchedule *
parse_schedule (GKeyFile    *kf,
                const char  *group,
                const char  *origin,
                GError     **error)
{
  g_autoptr(WsSchedule) s = ws_schedule_new (group);
  g_auto(GStrv) keys = g_key_file_get_keys (kf, group, NULL, NULL);

  if (!g_key_file_has_key (kf, group, "target", NULL))
    return group_error (error, origin, group, "target", _("a schedule needs a target")), NULL;
  /* Each key once, so "every" and "at" cannot both be in one group. */
  if (g_key_file_has_key (kf, group, "every", NULL) && g_key_file_has_key (kf, group, "at", NULL))
    return group_error (error, origin, group, "at", _("a schedule has “every” or “at”, not both")), NULL;
  for (guint i = 0; i < 2; i++)
    if (g_key_file_has_key (kf, group, schedule_keys[i].key, NULL)
        && !apply_key (s, kf, origin, schedule_keys[i].key, error))
      return NULL;
  mode_defaults (s);
  for (guint i = 0; keys[i] != NULL; i++)
    if (find_schedule_key (keys[i]) >= 2 || find_schedule_key (keys[i]) < 0)
      if (!apply_key (s, kf, origin, keys[i], error))
        return NULL;
  if (!check_schedule (s, origin, error))
    return NULL;
  return g_steal_pointer (&s);
}

/* The agent's key, for tests against servers that ask for one; a
 * schedule with its own auth-key-file keeps that. */
void
ws_agent_config_lend_key (const WsAgentConfig *config,
                          WsSchedule          *schedule)
{
  if (schedule->test.auth_name != NULL || config->auth_name == NULL)
    return;
  schedule->test.auth_name = g_strdup (config->auth_name);
  schedule->test.auth_secret = g_strdup (config->auth_secret);
}

static GPtrArray *
parse_schedules (const WsAgentConfig  *config,
                 GKeyFile             *kf,
                 const char           *origin,
                 GError              **error)
{
  g_autoptr(GPtrArray) schedules = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_schedule_free);
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      WsSchedule *s;

      if (strcmp (groups[i], WS_AGENT_CONFIG_GROUP) == 0)
        continue;
      s = parse_schedule (kf, groups[i], origin, error);
      if (s == NULL)
        return NULL;
      ws_agent_config_lend_key (config, s);
      g_ptr_array_add (schedules, s);
    }
  return g_steal_pointer (&schedules);
}

static gboolean
load_key_file (GKeyFile    *kf,
               const char  *text,
               const char  *path,
               const char  *origin,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok = text != NULL ? g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &local_error)
                             : g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error);

  if (!ok)
    g_set_error (error, G_KEY_FILE_ERROR, local_error->domain == G_KEY_FILE_ERROR
                 ? local_error->code : G_KEY_FILE_ERROR_NOT_FOUND,
                 /* Translators: a file, then why it cannot be read. */
                 _("%s: %s"), origin, local_error->message);
  return ok;
}

/**
 * ws_agent_config_parse_schedules:
 * @origin: where @text comes from, for errors ("central configuration
 *   from HOST")
 *
 * The schedules of a central configuration, with @config's key lent to
 * them. Its [agent] group, if any, is ignored.
 *
 * Returns: (transfer full) (element-type WsSchedule): the schedules, or
 *   NULL with one line in @error.
 */
GPtrArray *
ws_agent_config_parse_schedules (const WsAgentConfig  *config,
                                 const char           *text,
                                 const char           *origin,
                                 GError              **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();

  g_key_file_set_list_separator (kf, ',');
  if (!load_key_file (kf, text, NULL, origin, error))
    return NULL;
  return parse_schedules (config, kf, origin, error);
}

/* ---- The [agent] group ---- */

static gboolean
agent_collectors (WsAgentConfig  *config,
                  GKeyFile       *kf,
                  const char     *origin,
                  GError        **error)
{
  g_auto(GStrv) list = g_key_file_get_string_list (kf, WS_AGENT_CONFIG_GROUP, "collect-to", NULL, NULL);

  for (guint i = 0; list != NULL && list[i] != NULL; i++)
    {
      char *item = g_strstrip (list[i]);

      if (*item == '\0')
        continue;
      if (!ws_collector_address_parse (item, NULL, NULL))
        {
          g_autofree char *text = g_strdup_printf (_("must be HOST or HOST:PORT, not “%s”"), item);

          return group_error (error, origin, WS_AGENT_CONFIG_GROUP, "collect-to", text);
        }
      g_ptr_array_add (config->collectors, g_strdup (item));
    }
  return TRUE;
}

static gboolean
replace_str (char       **field,
             const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static gboolean
agent_key (WsAgentConfig  *config,
           const char     *key,
           const char     *value,
           GError        **error)
{
  if (strcmp (key, "tls-ca") == 0)
    replace_str (&config->tls_ca_file, value);
  else if (strcmp (key, "tls-fingerprint") == 0)
    return check_fingerprint (value, error) && replace_str (&config->tls_fingerprint, value);
  else if (strcmp (key, "auth-key-file") == 0)
    {
      g_autoptr(GError) local_error = NULL;

      if (!ws_auth_read_key_file (value, &config->auth_name, &config->auth_secret, &local_error))
        return invalid (error, "%s", local_error->message);
    }
  else if (strcmp (key, "spool") == 0)
    replace_str (&config->spool_path, value);
  else if (strcmp (key, "spool-max") == 0)
    return parse_uint (value, 1, WS_SPOOL_MAX_MAX, &config->spool_max, error);
  else if (strcmp (key, "collect-to") != 0)
    return invalid (error, _("unknown key"));
  return TRUE;
}

static gboolean
parse_agent_group (WsAgentConfig  *config,
                   GKeyFile       *kf,
                   const char     *origin,
                   GError        **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys (kf, WS_AGENT_CONFIG_GROUP, NULL, NULL);

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    {
      g_autofree char *value = g_key_file_get_string (kf, WS_AGENT_CONFIG_GROUP, keys[i], NULL);
      GError *cause = NULL;

      if (value == NULL || !agent_key (config, keys[i], g_strstrip (value), &cause))
        {
          if (cause == NULL)
            cause = g_error_new_literal (G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                                         _("cannot be read"));
          return located (error, origin, WS_AGENT_CONFIG_GROUP, keys[i], cause);
        }
    }
  return agent_collectors (config, kf, origin, error);
}

/**
 * ws_agent_config_check:
 *
 * What an agent cannot run without: a collector, and a key (a collector
 * takes reports only from agents it knows).
 */
gboolean
ws_agent_config_check (const WsAgentConfig  *config,
                       const char           *origin,
                       GError              **error)
{
  if (config->collectors->len == 0)
    return group_error (error, origin, WS_AGENT_CONFIG_GROUP, "collect-to",
                        _("an agent needs at least one collector"));
  if (config->auth_name == NULL)
    return group_error (error, origin, WS_AGENT_CONFIG_GROUP, "auth-key-file",
                        _("an agent needs a key: collectors take reports only from agents they know"));
  return TRUE;
}

/**
 * ws_agent_config_load:
 *
 * Returns: (transfer full): the configuration in @path, or NULL with one
 *   line in @error that names the file, the group and the key.
 */
WsAgentConfig *
ws_agent_config_load (const char  *path,
                      GError     **error)
{
  g_autoptr(WsAgentConfig) config = ws_agent_config_new ();
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  GPtrArray *schedules;

  g_key_file_set_list_separator (kf, ',');
  if (!load_key_file (kf, NULL, path, path, error)
      || !parse_agent_group (config, kf, path, error))
    return NULL;
  schedules = parse_schedules (config, kf, path, error);
  if (schedules == NULL)
    return NULL;
  g_ptr_array_unref (config->schedules);
  config->schedules = schedules;
  return g_steal_pointer (&config);
}
