/* ws-text-printer.h — results as text a person reads
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>

#include "ws-test-config.h"
#include "ws-result.h"

G_BEGIN_DECLS

void ws_text_print_header   (FILE               *out,
                             const WsTestConfig *config,
                             const char         *peer);
void ws_text_print_columns  (FILE               *out,
                             const WsTestConfig *config);
void ws_text_print_sample   (FILE               *out,
                             const WsTestConfig *config,
                             const WsSample     *sample);
void ws_text_print_summary  (FILE               *out,
                             const WsResult     *result);

G_END_DECLS
