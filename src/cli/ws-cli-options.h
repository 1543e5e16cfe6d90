/* ws-cli-options.h — the command line, parsed and validated
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-auth.h"
#include "ws-acl.h"
#include "ws-agent-config.h"
#include "ws-cli-agent.h"
#include "ws-cli-collect.h"
#include "ws-cli-relay.h"
#include "ws-client.h"

G_BEGIN_DECLS

typedef enum {
  WS_CLI_MODE_NONE,
  WS_CLI_MODE_CLIENT,
  WS_CLI_MODE_SERVER,
  WS_CLI_MODE_AGENT,
  WS_CLI_MODE_RELAY,
  WS_CLI_MODE_VERSION,
} WsCliMode;

struct _WsCliOptions {
  WsCliMode mode;
  gboolean json;
  gboolean verbose;

  /* Client */
  WsTestConfig test;

  /* Server */
  guint16 port;
  char *bind_address;
  guint max_clients;
  guint idle_timeout_s;
  GTlsCertificate *tls_certificate; /* NULL: plaintext */
  gboolean allow_plaintext;
  WsAuth *auth;                     /* NULL: no authentication */
  WsAcl *acl;              /* NULL: no --allow or --deny */
  guint max_per_address;   /* 0: no limit */
  guint max_pending_per_address;
  guint max_duration_s;    /* 0: no limit */
  guint64 max_bitrate;     /* 0: no limit */
  WsCliCollect collect;    /* --collect and the collector's options */

  /* Agent */
  WsAgentConfig *agent;
  gboolean once;
  guint send_timeout_s;

  /* Relay: agent holds its upstream, collect its limits */
  char **blocked;
};

/* Exit status for bad command lines, as argparse and most tools use. */
#define WS_CLI_EXIT_USAGE 2
#define WS_CLI_EXIT_FAILURE 1

gboolean ws_cli_options_parse (WsCliOptions   *options,
                               int             argc,
                               char          **argv,
                               GError        **error);
void     ws_cli_options_clear (WsCliOptions   *options);
char    *ws_cli_options_help  (void);

G_END_DECLS
