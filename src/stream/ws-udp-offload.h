/* ws-udp-offload.h — UDP segmentation and receive offload
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sys/socket.h>

#include <glib.h>

G_BEGIN_DECLS

/* A coalesced datagram (GRO) or one send of many (GSO) holds at most this
 * much payload: the 64 KiB of an IP datagram, less room for its headers. */
#define WS_UDP_OFFLOAD_MAX 65000
/* The kernel's limit on segments in one GSO send (UDP_MAX_SEGMENTS). */
#define WS_UDP_GSO_MAX_SEGMENTS 64

guint    ws_udp_gso_enable     (int             fd,
                                gsize           len);
void     ws_udp_gso_disable    (int             fd);
gboolean ws_udp_gro_enable     (int             fd);
void     ws_udp_stamps_enable  (int             fd);

/* Room for one message's control data: GRO's segment size and the
 * kernel's receive timestamp. */
#define WS_UDP_CMSG_SPACE (CMSG_SPACE (sizeof (int)) + CMSG_SPACE (sizeof (struct timespec)))

gint64   ws_udp_realtime_offset (void);
gsize    ws_udp_cmsg_segment   (struct msghdr  *msg,
                                gsize           len,
                                gint64         *stamp_ns);

G_END_DECLS
