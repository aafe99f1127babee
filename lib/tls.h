/*
 * tls: OpenSSL 3 TLS for the Remote Backup Service. TLS 1.3 only, AES-GCM
 * suites, both sides authenticated by ECDSA P-384 certificates that are
 * pinned by their SHA-256 fingerprint: there is no certificate authority,
 * public or private. A peer's certificate is accepted during the handshake
 * only if it carries a P-384 key and its signature checks; whether its
 * fingerprint is the expected one is the caller's decision (the client
 * compares with its pin before it sends a byte; the server looks it up in
 * its register of clients).
 *
 * OpenSSL writes to the socket with write(2): a program using this ignores
 * SIGPIPE (every Coffer tool does) so a vanished peer is an error, not a
 * signal.
 *
 * An identity is a directory: key.pem (PKCS#8, mode 0600, created O_EXCL)
 * and cert.pem (self-signed, ten years).
 */
#ifndef COFFER_TLS_H
#define COFFER_TLS_H

#include <stddef.h>
#include <stdint.h>

struct chan;

#define TLS_FP_LEN 32                  /* SHA-256 of the DER certificate */
#define TLS_FP_STR_LEN (TLS_FP_LEN * 3 - 1 + 7) /* "SHA256:" aa:bb:... */
#define TLS_KEY_FILE "key.pem"
#define TLS_CERT_FILE "cert.pem"

/*
 * Creates dir (0700, may exist) with a fresh P-384 key and a self-signed
 * certificate whose subject CN is cn. Refuses (CE_EXISTS) when dir already
 * holds a key. fp (may be NULL) receives the certificate's fingerprint.
 */
int tls_identity_create(const char *dir, const char *cn,
    uint8_t fp[TLS_FP_LEN]);

/*
 * The fingerprint of the PEM certificate in path; CE_FORMAT when it is not
 * one, CE_UNSUPPORTED when its key is not ECDSA P-384.
 */
int tls_cert_file_fp(const char *path, uint8_t fp[TLS_FP_LEN]);

/* "SHA256:" and 32 colon-separated hex pairs, NUL-terminated. */
void tls_fp_str(const uint8_t fp[TLS_FP_LEN], char out[TLS_FP_STR_LEN + 1]);

/* Parses tls_fp_str's form, with or without "SHA256:", colons optional. */
int tls_fp_parse(const char *s, uint8_t fp[TLS_FP_LEN]);

struct tls_ctx;

/* Loads the identity in dir for a server (server set) or a client. */
int tls_ctx_new(int server, const char *dir, struct tls_ctx **cp);
void tls_ctx_free(struct tls_ctx *c);

struct tls_conn;

/*
 * Runs the handshake on the connected socket fd (owned from here on, even
 * on failure). CE_PROTOCOL when the peer does not speak TLS 1.3 with a
 * P-384 certificate; CE_PEER_CLOSED / CE_IO for the socket.
 */
int tls_handshake(struct tls_ctx *c, int fd, struct tls_conn **tp);

/* The peer certificate's fingerprint (valid after tls_handshake). */
const uint8_t *tls_peer_fp(const struct tls_conn *t);

/* The connection as a channel (owns t): frames of lib/xfer, lib/sealed and
 * lib/rbsproto run over it unchanged. */
int tls_chan_new(struct tls_conn *t, struct chan **cp);

/*
 * 1 when the peer has closed or sent something while nothing was asked of
 * it (the socket is readable): a connection to reopen before the next
 * request, e.g. after the server's idle timeout.
 */
int tls_conn_stale(const struct tls_conn *t);

/* Frees t: close_notify sent when the handshake had completed. */
void tls_conn_free(struct tls_conn *t);

/* Connects a TCP socket to host:port (numeric or name); *fdp. */
int tls_tcp_connect(const char *host, const char *port, int *fdp);

#endif
