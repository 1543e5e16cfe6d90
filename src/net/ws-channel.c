/* ws-channel.c — a control connection, in plaintext or TLS
 *
 * The control connection of a test carries a few hundred bytes a second
 * and every wait on it has a deadline. In plaintext the channel is the
 * socket and ws-io does the work. Over TLS (GTlsConnection, from
 * glib-networking) the channel reads with non-blocking calls and waits on
 * the socket itself; it drains whatever TLS has decrypted into its own
 * small buffer, because TLS may hold whole records that the socket no
 * longer shows as readable.
 *
 * Data connections never use TLS: they are test traffic, bound to their
 * session by the cookie that travelled over this channel.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "ws-channel.h"
#include "ws-error.h"
#include "ws-io.h"
#include "ws-time.h"

/* A peer cannot make the buffer grow: beyond this we stop reading until the
 * session has taken its messages. */
#define TLS_BUFFER_SIZE 16384
/* A TLS record header: type, version, length (RFC 8446 section 5.1). */
#define TLS_RECORD_HEADER 5
#define TLS_RECORD_MAX (16384 + 2048)
/* Once a ClientHello is in, the rest of a handshake takes round trips, not
 * seconds: this long at most, whatever the caller's deadline. */
#define ACCEPT_HANDSHAKE_NS (10 * WS_NSEC_PER_SEC)

struct _WsChannel {
  GObject parent_instance;

  GSocket *socket;
  GIOStream *tls;               /* NULL in plaintext */
  guint8 *buf;                  /* TLS: decrypted bytes not yet taken */
  gsize buf_start, buf_end;

  /* Client: what the certificate check found */
  GTlsCertificateFlags peer_errors;
  gboolean has_pin;
  guint8 pin[32];
};

G_DEFINE_FINAL_TYPE (WsChannel, ws_channel, G_TYPE_OBJECT)

static void
ws_channel_finalize (GObject *object)
{
  WsChannel *self = WS_CHANNEL (object);

  g_clear_object (&self->tls);
  g_clear_object (&self->socket);
  g_free (self->buf);
  G_OBJECT_CLASS (ws_channel_parent_class)->finalize (object);
}

static void
ws_channel_class_init (WsChannelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_channel_finalize;
}

static void
ws_channel_init (WsChannel *self)
{
}

WsChannel *
ws_channel_new (GSocket *socket)
{
  WsChannel *self = g_object_new (WS_TYPE_CHANNEL, NULL);

  self->socket = g_object_ref (socket);
  return self;
}

GSocket *
ws_channel_get_socket (WsChannel *self)
{
  return self->socket;
}

gboolean
ws_channel_is_tls (WsChannel *self)
{
  return self->tls != NULL;
}

/* ---- Fingerprints ---- */

static GBytes *
certificate_der (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;

  g_object_get (certificate, "certificate", &der, NULL);
  return der ? g_bytes_new (der->data, der->len) : NULL;
}

gboolean
ws_tls_certificate_digest (GTlsCertificate *certificate,
                           guint8           digest[32])
{
  g_autoptr(GBytes) der = certificate_der (certificate);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = 32;

  if (der == NULL)
    return FALSE;
  g_checksum_update (sum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (sum, digest, &len);
  return TRUE;
}

/* GIO's TLS lives in a module, glib-networking. Without it GIO falls back
 * to a dummy backend whose objects fail late and in odd places (a critical
 * deep in a handshake), so every face asks here first and tells the user
 * what to install, in one line. */
gboolean
ws_tls_check_available (GError **error)
{
  if (g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    return TRUE;
  g_set_error_literal (error, G_TLS_ERROR, G_TLS_ERROR_UNAVAILABLE,
                       _("TLS needs glib-networking, which is not installed"));
  return FALSE;
}

/* "AB:CD:…": the form openssl prints (x509 -fingerprint -sha256). */
char *
ws_tls_certificate_fingerprint (GTlsCertificate *certificate)
{
  guint8 digest[32];
  GString *text = g_string_new (NULL);

  if (!ws_tls_certificate_digest (certificate, digest))
    return g_string_free (text, FALSE);
  for (guint i = 0; i < sizeof digest; i++)
    g_string_append_printf (text, "%s%02X", i ? ":" : "", digest[i]);
  return g_string_free (text, FALSE);
}

/* 64 hex digits, with or without colons, either case; "SHA256:" prefix ok. */
gboolean
ws_tls_fingerprint_parse (const char *text,
                          guint8      digest[32])
{
  guint n = 0;

  if (g_ascii_strncasecmp (text, "SHA256:", 7) == 0)
    text += 7;
  for (const char *p = text; *p; p++)
    {
      if (*p == ':')
        continue;
      if (!g_ascii_isxdigit (*p) || n >= 64)
        return FALSE;
      if (n % 2 == 0)
        digest[n / 2] = g_ascii_xdigit_value (*p) << 4;
      else
        digest[n / 2] |= g_ascii_xdigit_value (*p);
      n++;
    }
  return n == 64;
}

/* ---- The handshake ---- */

/* The handshake blocks in the TLS library; the socket's timeout bounds it.
 * Whole seconds, rounded up: deadlines here are seconds long. */
static gboolean
handshake (WsChannel     *self,
           GIOStream     *tls,
           gint64         deadline_ns,
           GCancellable  *cancellable,
           GError       **error)
{
  gint64 left = deadline_ns == WS_NO_DEADLINE ? 0 : deadline_ns - ws_now_ns ();
  gboolean ok;

  if (deadline_ns != WS_NO_DEADLINE)
    g_socket_set_timeout (self->socket, MAX (1, (left + WS_NSEC_PER_SEC - 1) / WS_NSEC_PER_SEC));
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  ok = g_tls_connection_handshake (G_TLS_CONNECTION (tls), cancellable, error);
  g_socket_set_timeout (self->socket, 0);
  if (ok)
    {
      self->tls = g_object_ref (tls);
      self->buf = g_malloc (TLS_BUFFER_SIZE);
    }
  return ok;
}

/* FALSE with @error once the peer closed, @cancellable fired or the
 * deadline passed; TRUE when poll() should be asked again. */
static gboolean
poll_queued (int            fd,
             gint64         deadline_ns,
             GCancellable  *cancellable,
             GError       **error)
{
  struct pollfd fds[2] = { { fd, POLLIN | POLLRDHUP, 0 }, { -1, POLLIN, 0 } };
  GPollFD cancel;
  gint64 left = deadline_ns - ws_now_ns ();
  gboolean watch = cancellable != NULL && g_cancellable_make_pollfd (cancellable, &cancel);
  int r;

  if (watch)
    fds[1].fd = cancel.fd;
  r = left > 0 ? poll (fds, 2, (int) MIN ((left + 999999) / 1000000, G_MAXINT)) : 0;
  if (watch)
    g_cancellable_release_fd (cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (r == 0 && ws_now_ns () >= deadline_ns)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, _("No TLS handshake in time"));
  else if (r > 0 && (fds[0].revents & (POLLRDHUP | POLLHUP | POLLERR)))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, _("Connection closed by peer"));
  else
    return TRUE;
  return FALSE;
}

/* Until @n bytes are queued on the socket, unread. SO_RCVLOWAT has the
 * kernel hold poll() until they are there, so that a trickling peer does
 * not wake us at every byte. */
static gboolean
wait_queued (WsChannel     *self,
             int            n,
             gint64         deadline_ns,
             GCancellable  *cancellable,
             GError       **error)
{
  int fd = g_socket_get_fd (self->socket);
  int one = 1;
  gboolean ok = TRUE;

  setsockopt (fd, SOL_SOCKET, SO_RCVLOWAT, &n, sizeof n);
  for (;;)
    {
      int queued = 0;

      if (ioctl (fd, FIONREAD, &queued) == 0 && queued >= n)
        break;
      ok = poll_queued (fd, deadline_ns, cancellable, error);
      if (!ok)
        break;
    }
  setsockopt (fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
  return ok;
}

/* The client's first TLS record, whole, before the TLS library sees it.
 * glib-networking runs every handshake on a thread of GIO's shared pool,
 * ten threads that grow slowly: a handshake that waits for a silent peer
 * holds one, and enough of them delay every other TLS peer by seconds.
 * Waiting here costs only this connection's own thread. */
static gboolean
wait_client_hello (WsChannel     *self,
                   gint64         deadline_ns,
                   GCancellable  *cancellable,
                   GError       **error)
{
  guint8 head[TLS_RECORD_HEADER];
  int length;

  if (!wait_queued (self, TLS_RECORD_HEADER, deadline_ns, cancellable, error))
    return FALSE;
  if (recv (g_socket_get_fd (self->socket), head, sizeof head, MSG_PEEK | MSG_DONTWAIT) != sizeof head)
    return TRUE;  /* the handshake will say what is wrong */
  length = (head[3] << 8) | head[4];
  return wait_queued (self, TLS_RECORD_HEADER + MIN (length, TLS_RECORD_MAX), deadline_ns,
                      cancellable, error);
}

gboolean
ws_channel_accept_tls (WsChannel        *self,
                       GTlsCertificate  *certificate,
                       gint64            deadline_ns,
                       GCancellable     *cancellable,
                       GError          **error)
{
  g_autoptr(GSocketConnection) base = NULL;
  g_autoptr(GIOStream) tls = NULL;
  /* HTTPS on the same port: a client that asks for HTTP/1.1 gets it; ours
   * asks for nothing and speaks our protocol (docs/PROTOCOL.md 9.1). */
  static const char *const protocols[] = { WS_CHANNEL_ALPN_HTTP, NULL };

  if (!wait_client_hello (self, deadline_ns, cancellable, error))
    return FALSE;
  base = g_socket_connection_factory_create_connection (self->socket);
  tls = g_tls_server_connection_new (G_IO_STREAM (base), certificate, error);
  if (tls == NULL)
    return FALSE;
  g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls), protocols);
  g_tls_connection_set_database (G_TLS_CONNECTION (tls), NULL);
  return handshake (self, tls, MIN (deadline_ns, ws_now_ns () + ACCEPT_HANDSHAKE_NS), cancellable, error);
}

/* Returns: (nullable): the protocol the TLS handshake agreed on (ALPN). */
const char *
ws_channel_get_alpn (WsChannel *self)
{
  if (self->tls == NULL)
    return NULL;
  return g_tls_connection_get_negotiated_protocol (G_TLS_CONNECTION (self->tls));
}

/* Returns: (transfer none) (nullable): the TLS stream, for a connection
 * that leaves our framing (HTTPS); NULL in plaintext. Nothing must have
 * been read through the channel yet. */
GIOStream *
ws_channel_get_tls_stream (WsChannel *self)
{
  g_return_val_if_fail (self->buf_end == self->buf_start, NULL);
  return self->tls;
}

/* Pinned: the fingerprint decides, whoever signed the certificate. Else the
 * TLS library's verdict stands; we keep its reasons to explain a refusal. */
static gboolean
on_accept_certificate (GTlsConnection       *tls,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       WsChannel            *self)
{
  guint8 digest[32];

  self->peer_errors = errors;
  return self->has_pin && ws_tls_certificate_digest (certificate, digest)
         && memcmp (digest, self->pin, sizeof digest) == 0;
}

/* What is wrong with a certificate, for any TLS client (HTTPS too). */
const char *
ws_tls_describe_certificate_errors (GTlsCertificateFlags errors)
{
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    return _("the server’s certificate has expired");
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return _("the server’s certificate is not valid yet");
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return _("hostname mismatch: the server’s certificate is for another name");
  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return _("unknown issuer: the server’s certificate is not signed by a trusted CA");
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    return _("the server’s certificate has been revoked");
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    return _("the server’s certificate uses an insecure algorithm");
  return _("the server’s certificate is not valid");
}

/* An unknown CA gets its own code: each face says how to trust the server
 * (pin it, or give its CA) in its own terms. */
static gboolean
explain_refusal (WsChannel  *self,
                 GIOStream  *tls,
                 GError    **error)
{
  GTlsCertificate *peer = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls));
  g_autofree char *seen = peer ? ws_tls_certificate_fingerprint (peer) : NULL;
  GTlsCertificateFlags said_first = G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_NOT_ACTIVATED
                                    | G_TLS_CERTIFICATE_BAD_IDENTITY;
  gboolean unknown_ca = !(self->peer_errors & said_first)
                        && (self->peer_errors & G_TLS_CERTIFICATE_UNKNOWN_CA);

  if (self->has_pin && seen != NULL)
    /* Translators: %s is the certificate's SHA-256 fingerprint in hex. */
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
                 _("TLS: fingerprint mismatch: the server’s certificate is SHA256:%s, "
                   "not the pinned one"), seen);
  else
    /* Translators: %s says what is wrong with the server's certificate. */
    g_set_error (error, unknown_ca ? WS_CLIENT_ERROR : G_TLS_ERROR,
                 unknown_ca ? WS_CLIENT_ERROR_TLS_UNKNOWN_CA : G_TLS_ERROR_BAD_CERTIFICATE,
                 _("TLS: %s"), ws_tls_describe_certificate_errors (self->peer_errors));
  return FALSE;
}

GTlsDatabase *
ws_tls_load_ca (const char  *ca_file,
                GError     **error)
{
  /* GTlsFileDatabase wants an absolute path. */
  g_autofree char *path = g_canonicalize_filename (ca_file, NULL);
  GTlsDatabase *db = g_tls_file_database_new (path, error);

  if (db == NULL)
    /* Translators: %s is a file name; the reason follows. */
    g_prefix_error (error, _("Cannot read the CA file %s: "), ca_file);
  return db;
}

gboolean
ws_channel_connect_tls (WsChannel                 *self,
                        GSocketConnectable        *identity,
                        const WsTlsClientOptions  *options,
                        gint64                     deadline_ns,
                        GCancellable              *cancellable,
                        GError                   **error)
{
  g_autoptr(GSocketConnection) base = g_socket_connection_factory_create_connection (self->socket);
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) local_error = NULL;
  GTlsCertificate *peer;

  if (options->fingerprint != NULL)
    {
      if (!ws_tls_fingerprint_parse (options->fingerprint, self->pin))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("The TLS fingerprint must be 64 hex digits (SHA-256), colons optional"));
          return FALSE;
        }
      self->has_pin = TRUE;
    }
  tls = g_tls_client_connection_new (G_IO_STREAM (base), identity, error);
  if (tls == NULL)
    return FALSE;
  if (options->ca_file != NULL)
    {
      g_autoptr(GTlsDatabase) db = ws_tls_load_ca (options->ca_file, error);

      if (db == NULL)
        return FALSE;
      g_tls_connection_set_database (G_TLS_CONNECTION (tls), db);
    }
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (on_accept_certificate), self);
  if (!handshake (self, tls, deadline_ns, cancellable, &local_error))
    {
      if (self->peer_errors != 0 || g_error_matches (local_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE))
        return explain_refusal (self, tls, error);
      if (local_error->domain == G_IO_ERROR)
        g_propagate_prefixed_error (error, g_steal_pointer (&local_error), _("TLS: "));
      else
        /* Translators: %s is the TLS library's reason. */
        g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS,
                     _("TLS: the handshake failed (%s)"), local_error->message);
      return FALSE;
    }
  /* A certificate the CAs accept must still match a pin. */
  peer = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls));
  if (self->has_pin && !on_accept_certificate (G_TLS_CONNECTION (tls), peer, 0, self))
    return explain_refusal (self, tls, error);
  return TRUE;
}

/* ---- Reading and writing over TLS ---- */

static gboolean
wait_socket (WsChannel     *self,
             GIOCondition   condition,
             gint64         deadline_ns,
             GCancellable  *cancellable,
             GError       **error)
{
  gint64 timeout_us = -1;

  if (deadline_ns != WS_NO_DEADLINE)
    {
      gint64 left = deadline_ns - ws_now_ns ();
      timeout_us = left <= 0 ? 0 : (left + 999) / 1000;
    }
  return g_socket_condition_timed_wait (self->socket, condition, timeout_us, cancellable, error);
}

/* Takes everything TLS has decrypted, without blocking. FALSE on an error
 * or end of stream; *got says whether anything came. */
static gboolean
fill (WsChannel     *self,
      gboolean      *got,
      GCancellable  *cancellable,
      GError       **error)
{
  GPollableInputStream *in = G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (self->tls));

  *got = FALSE;
  if (self->buf_start == self->buf_end)
    self->buf_start = self->buf_end = 0;
  while (self->buf_end < TLS_BUFFER_SIZE)
    {
      g_autoptr(GError) local_error = NULL;
      gssize r = g_pollable_input_stream_read_nonblocking (in, self->buf + self->buf_end,
                                                           TLS_BUFFER_SIZE - self->buf_end,
                                                           cancellable, &local_error);
      if (r > 0)
        {
          self->buf_end += r;
          *got = TRUE;
          continue;
        }
      if (r < 0 && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return TRUE;
      if (r == 0 && *got)
        return TRUE;  /* report the end on the next call */
      if (r == 0)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, _("Connection closed by peer"));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static gboolean
tls_wait_readable (WsChannel     *self,
                   gint64         deadline_ns,
                   GCancellable  *cancellable,
                   GError       **error)
{
  gboolean got;

  for (;;)
    {
      if (self->buf_end > self->buf_start)
        return TRUE;
      if (!fill (self, &got, cancellable, error))
        return FALSE;
      if (got)
        return TRUE;
      if (!wait_socket (self, G_IO_IN, deadline_ns, cancellable, error))
        return FALSE;
    }
}

static gboolean
tls_read_exact (gpointer       data,
                guint8        *buf,
                gsize          n,
                gint64         deadline_ns,
                GCancellable  *cancellable,
                GError       **error)
{
  WsChannel *self = data;
  gsize have = 0;

  while (have < n)
    {
      gsize take;

      if (!tls_wait_readable (self, deadline_ns, cancellable, error))
        return FALSE;
      take = MIN (n - have, self->buf_end - self->buf_start);
      memcpy (buf + have, self->buf + self->buf_start, take);
      self->buf_start += take;
      have += take;
    }
  return TRUE;
}

static gboolean
tls_write_all (WsChannel     *self,
               const guint8  *buf,
               gsize          n,
               gint64         deadline_ns,
               GCancellable  *cancellable,
               GError       **error)
{
  GPollableOutputStream *out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (self->tls));
  gsize done = 0;

  while (done < n)
    {
      g_autoptr(GError) local_error = NULL;
      gssize r = g_pollable_output_stream_write_nonblocking (out, buf + done, n - done,
                                                             cancellable, &local_error);
      if (r >= 0)
        {
          done += r;
          continue;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!wait_socket (self, G_IO_OUT, deadline_ns, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* ---- Messages ---- */

gboolean
ws_channel_read_message (WsChannel     *self,
                         WsMessage     *msg,
                         gint64         deadline_ns,
                         GCancellable  *cancellable,
                         GError       **error)
{
  if (self->tls == NULL)
    return ws_io_read_message (self->socket, msg, deadline_ns, cancellable, error);
  return ws_io_read_frame (tls_read_exact, self, msg, deadline_ns, cancellable, error);
}

gboolean
ws_channel_send_message (WsChannel        *self,
                         const WsMessage  *msg,
                         gint64            deadline_ns,
                         GCancellable     *cancellable,
                         GError          **error)
{
  guint8 buf[WS_MESSAGE_MAX_SIZE];
  gsize n;

  if (self->tls == NULL)
    return ws_io_send_message (self->socket, msg, deadline_ns, cancellable, error);
  n = ws_message_encode (msg, buf, sizeof buf);
  g_return_val_if_fail (n > 0, FALSE);
  return tls_write_all (self, buf, n, deadline_ns, cancellable, error);
}

/* Best effort, a second at most, as ws_io_send_error(). */
gboolean
ws_channel_send_error (WsChannel       *self,
                       WsProtocolError  code,
                       guint16          value,
                       const char      *text)
{
  WsMessage msg;

  ws_message_init_error (&msg, code, value, text);
  return ws_channel_send_message (self, &msg, ws_now_ns () + WS_NSEC_PER_SEC, NULL, NULL);
}

gboolean
ws_channel_wait_readable (WsChannel     *self,
                          gint64         deadline_ns,
                          GCancellable  *cancellable,
                          GError       **error)
{
  if (self->tls == NULL)
    return ws_io_wait_readable (self->socket, deadline_ns, cancellable, error);
  return tls_wait_readable (self, deadline_ns, cancellable, error);
}

/* ---- Report frames (section 10) ---- */

gboolean
ws_channel_read_exact (WsChannel     *self,
                       guint8        *buf,
                       gsize          n,
                       gint64         deadline_ns,
                       GCancellable  *cancellable,
                       GError       **error)
{
  if (self->tls == NULL)
    return ws_io_read_exact (self->socket, buf, n, deadline_ns, cancellable, error);
  return tls_read_exact (self, buf, n, deadline_ns, cancellable, error);
}

gboolean
ws_channel_write_all (WsChannel     *self,
                      const guint8  *buf,
                      gsize          n,
                      gint64         deadline_ns,
                      GCancellable  *cancellable,
                      GError       **error)
{
  if (self->tls == NULL)
    return ws_io_write_all (self->socket, buf, n, deadline_ns, cancellable, error);
  return tls_write_all (self, buf, n, deadline_ns, cancellable, error);
}

/* Whether a read would find bytes now: what TLS decrypted already, or the
 * socket. Lets a reader take every frame that arrived together, as one
 * batch, without waiting for more. */
gboolean
ws_channel_has_pending (WsChannel *self)
{
  gboolean got = FALSE;

  if (self->tls != NULL && self->buf_end > self->buf_start)
    return TRUE;
  if (self->tls != NULL)
    return fill (self, &got, NULL, NULL) ? got : TRUE;  /* an error is for the next read */
  return (g_socket_condition_check (self->socket, G_IO_IN | G_IO_HUP | G_IO_ERR) != 0);
}

/**
 * ws_channel_read_frame:
 * @payload: (out): the payload, g_free() it; NULL for an empty one
 *
 * A frame whose header is refused (section 10.2) is not read further: the
 * error is the decoder's, in WS_PROTOCOL_ERROR, and the connection should
 * be closed after an ERROR frame.
 */
gboolean
ws_channel_read_frame (WsChannel      *self,
                       guint32         max_report,
                       WsFrameHeader  *header,
                       guint8        **payload,
                       gint64          deadline_ns,
                       GCancellable   *cancellable,
                       GError        **error)
{
  guint8 head[WS_FRAME_HEADER_SIZE];
  g_autofree guint8 *body = NULL;

  *payload = NULL;
  if (!ws_channel_read_exact (self, head, sizeof head, deadline_ns, cancellable, error))
    return FALSE;
  if (!ws_frame_header_decode (head, max_report, header, error))
    return FALSE;
  body = g_malloc (MAX (header->length, 1));
  if (!ws_channel_read_exact (self, body, header->length, deadline_ns, cancellable, error))
    return FALSE;
  *payload = g_steal_pointer (&body);
  return TRUE;
}

/* Best effort, a second at most: the peer may be gone already. */
void
ws_channel_send_frame_error (WsChannel       *self,
                             WsProtocolError  code,
                             const char      *text)
{
  guint8 buf[WS_FRAME_HEADER_SIZE + 128];
  gsize n = ws_frame_error_encode (code, text, buf);

  ws_channel_write_all (self, buf, n, ws_now_ns () + WS_NSEC_PER_SEC, NULL, NULL);
}
