/* ws-udp-offload.c — UDP segmentation and receive offload
 *
 * Most of a UDP sender's and receiver's time goes to walking each
 * datagram through the stack. With GSO (UDP_SEGMENT) one send carries up
 * to 64 datagrams of the same size as one buffer, cut into datagrams as
 * late as possible (on loopback, not at all when the receiver takes GRO);
 * with GRO (UDP_GRO) one receive returns consecutive datagrams of one flow
 * as one buffer and the segment size, and we cut it back ourselves. On
 * the wire nothing changes: a peer without GRO receives the same
 * datagrams as before.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>
#include <netinet/udp.h>
#include <time.h>

#include "ws-time.h"
#include "ws-udp-offload.h"

#ifndef SOL_UDP
#define SOL_UDP IPPROTO_UDP
#endif

/* Sets @fd to cut its sends into datagrams of @len bytes. Returns how many
 * datagrams one send may carry: 1 where the kernel refuses. */
guint
ws_udp_gso_enable (int   fd,
                   gsize len)
{
  int size = len;
  guint segments = MIN (WS_UDP_GSO_MAX_SEGMENTS, WS_UDP_OFFLOAD_MAX / MAX (len, 1));

  if (segments < 2 || setsockopt (fd, SOL_UDP, UDP_SEGMENT, &size, sizeof size) < 0)
    return 1;
  return segments;
}

/* A device without checksum offload refuses GSO sends (EIO) only when
 * they are made, not when the option is set. */
void
ws_udp_gso_disable (int fd)
{
  int zero = 0;

  setsockopt (fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero);
}

gboolean
ws_udp_gro_enable (int fd)
{
  int one = 1;

  return setsockopt (fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
}

/* The kernel's receive time of each buffer: for single datagrams their
 * own, not when our batch was read, which gave datagrams read together
 * one arrival time and a jitter near zero at full rate. Every datagram of
 * a coalesced (GRO) buffer shares one. */
void
ws_udp_stamps_enable (int fd)
{
  int one = 1;

  setsockopt (fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
}

/* The segment size of a received buffer of @len bytes (@len itself when it
 * holds one datagram), and its receive time in @stamp_ns on the real-time
 * clock when the kernel gave one (left alone otherwise). */
/* What to add to a real-time stamp to put it on our monotonic clock: the
 * sender's times are monotonic, and only differences of transit times
 * matter (jitter), so an offset taken once per batch is exact enough. */
gint64
ws_udp_realtime_offset (void)
{
  struct timespec real, mono;

  clock_gettime (CLOCK_REALTIME, &real);
  clock_gettime (CLOCK_MONOTONIC, &mono);
  return ((gint64) mono.tv_sec - real.tv_sec) * WS_NSEC_PER_SEC + (mono.tv_nsec - real.tv_nsec);
}

gsize
ws_udp_cmsg_segment (struct msghdr *msg,
                     gsize          len,
                     gint64        *stamp_ns)
{
  gsize segment = len;

  for (struct cmsghdr *c = CMSG_FIRSTHDR (msg); c != NULL; c = CMSG_NXTHDR (msg, c))
    {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
        {
          int size;

          memcpy (&size, CMSG_DATA (c), sizeof size);
          if (size > 0)
            segment = size;
        }
      else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
        {
          struct timespec ts;

          memcpy (&ts, CMSG_DATA (c), sizeof ts);
          *stamp_ns = (gint64) ts.tv_sec * WS_NSEC_PER_SEC + ts.tv_nsec;
        }
    }
  return segment;
}
