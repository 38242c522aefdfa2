import type { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';

/**
 * The TLS client certificate (DER) when TLS ends at this server and the PC sent one; the server
 * asks for one without requiring it (`requestCert`, `rejectUnauthorized: false` in buildApp), so
 * there may be none, and nothing about it is verified here: the caller matches it against what
 * Envelope issued. Behind a TLS-terminating load balancer, or through `inject`, there is never one.
 */
export function clientCertificateOf(request: FastifyRequest): Uint8Array | null {
  const socket = request.raw.socket as Partial<TLSSocket> | undefined;
  if (typeof socket?.getPeerCertificate !== 'function') return null;
  const certificate = socket.getPeerCertificate();
  return certificate?.raw && certificate.raw.length > 0 ? new Uint8Array(certificate.raw) : null;
}
