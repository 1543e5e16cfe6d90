/* ws-cli-analyze.h — `wirespeed --analyze`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean ws_cli_analyze_wanted (int    argc,
                                char **argv);
int      ws_cli_analyze_main   (int    argc,
                                char **argv);

G_END_DECLS
