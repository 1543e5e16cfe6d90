/* ws-error.h — failures a person can fix, each face saying how
 *
 * The engine says what went wrong, never which CLI flag or GUI control
 * fixes it: the same text reaches the terminal and the window. Where the
 * remedy depends on the face, the kind is in the GError code (this domain,
 * WS_PROTOCOL_ERROR_TLS_REQUIRED, G_TLS_ERROR_NOT_TLS, …) and the CLI and
 * the GUI each append their own.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WS_CLIENT_ERROR (ws_client_error_quark ())
GQuark ws_client_error_quark (void);

typedef enum {
  WS_CLIENT_ERROR_KEY_MISSING,        /* the server asks for a key; none given */
  WS_CLIENT_ERROR_TLS_UNKNOWN_CA,     /* the certificate is signed by no trusted CA */
  WS_CLIENT_ERROR_IPERF3_NO_SECURITY, /* TLS or a key asked of an iperf3 server */
  WS_CLIENT_ERROR_BYTES_UNSUPPORTED,  /* a fixed-size test asked of an older server */
} WsClientError;

G_END_DECLS
