/* ws-collect-session.h — one report connection, the agent's end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-frame.h"
#include "ws-spool.h"

G_BEGIN_DECLS

/* How the agent proves itself and checks the collector. */
typedef struct {
  const char *tls_ca_file;      /* NULL: the system's CAs */
  const char *tls_fingerprint;  /* NULL: no pin */
  const char *auth_name;
  const char *auth_secret;
  guint16 collect_flags;        /* WS_COLLECT_FLAG_RELAY: a relay's forwarding */
} WsCollectCredentials;

/* What one connection did, for the sender's log. */
typedef struct {
  guint sent;
  guint stored;
  guint duplicates;
  guint rejected;
  guint retry_after_s;   /* > 0: the collector asked to wait this long */
  char *retry_text;      /* and why */
} WsCollectTally;

typedef struct _WsCollectSession WsCollectSession;

WsCollectSession *ws_collect_session_open   (const char                  *collector,
                                             const WsCollectCredentials  *credentials,
                                             GCancellable                *stop,
                                             GError                     **error);
gboolean          ws_collect_session_config (WsCollectSession            *session,
                                             const guint8                *digest,
                                             WsConfigStatus              *status,
                                             char                       **text,
                                             GError                     **error);
gboolean          ws_collect_session_send   (WsCollectSession            *session,
                                             WsSpool                     *spool,
                                             WsCollectTally              *tally,
                                             GError                     **error);
void              ws_collect_session_close  (WsCollectSession            *session);

void              ws_collect_tally_clear    (WsCollectTally              *tally);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsCollectSession, ws_collect_session_close)

G_END_DECLS
