/* ws-error.c — failures a person can fix, each face saying how
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-error.h"

G_DEFINE_QUARK (ws-client-error-quark, ws_client_error)
