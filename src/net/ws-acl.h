/* ws-acl.h — which peer addresses the server talks to
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _WsAcl WsAcl;

WsAcl        *ws_acl_new            (void);
WsAcl        *ws_acl_ref            (WsAcl         *acl);
void          ws_acl_unref          (WsAcl         *acl);
gboolean      ws_acl_allow          (WsAcl         *acl,
                                     const char    *cidr,
                                     GError       **error);
gboolean      ws_acl_deny           (WsAcl         *acl,
                                     const char    *cidr,
                                     GError       **error);
gboolean      ws_acl_allows         (WsAcl         *acl,
                                     GInetAddress  *address);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsAcl, ws_acl_unref)

G_END_DECLS
