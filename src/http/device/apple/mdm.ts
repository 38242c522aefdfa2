import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { EnvelopeError } from '../../../domain/errors.ts';
import { defaultPlistBodyLimits, mdmSignatureHeader, unrecognizedDeviceContentType } from '../../../protocols/apple-mdm/index.ts';
import type { AppleMdmReply, AppleMdmService } from '../../../services/apple-mdm/apple-mdm-service.ts';
import { appleDevicePaths } from '../../../services/enrollment/enrollment-urls.ts';

/**
 * Requests per client address and minute on the check-in and command URLs. Per-device limits apply
 * after the signature is verified (AppleMdmService); this one only bounds what one address can make
 * the server verify, so it is far above what a NAT'd office sends (200 devices each polling every
 * second is 12,000 a minute).
 */
export const mdmAddressRateLimit = { max: 60_000, timeWindow: 60_000 } as const;

/** The media type of a command in a response body (Apple sends and expects XML property lists). */
export const mdmCommandContentType = 'application/xml; charset=utf-8';

/**
 * `PUT /mdm/apple/checkin` and `PUT /mdm/apple/server`: bodies are read as bytes whatever their
 * content type (devices send `application/x-apple-aspen-mdm-checkin` and others), up to the plist
 * limit; the service verifies `Mdm-Signature` and decodes. Answers: 200 (a command plist or empty),
 * 400 for an unsigned, badly signed or malformed request, 403 (`com.apple.unrecognized.device` when
 * the device is unknown or deleted), 410 for the user channel, 503 with Retry-After when busy. Never 401.
 */
export async function registerAppleMdmRoutes(scope: FastifyInstance, mdm: AppleMdmService): Promise<void> {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: defaultPlistBodyLimits.maxBytes }, (_request, body, done) => done(null, body));
  await scope.register(rateLimit, {
    ...mdmAddressRateLimit,
    errorResponseBuilder: (_request, context) =>
      new EnvelopeError('TooManyRequests', 429, `Too many MDM requests from this address; retry in ${context.after}.`),
  });
  const schema = { tags: ['devices'], security: [], hide: false } as const;
  scope.put(appleDevicePaths.checkIn, { schema: { ...schema, summary: 'Apple MDM check-in (Authenticate, TokenUpdate, CheckOut)' } }, async (request, reply) =>
    send(reply, await mdm.checkIn(signatureOf(request.headers[mdmSignatureHeader.toLowerCase()]), bodyOf(request.body))));
  scope.put(appleDevicePaths.server, { schema: { ...schema, summary: 'Apple MDM command results and the next command' } }, async (request, reply) =>
    send(reply, await mdm.command(signatureOf(request.headers[mdmSignatureHeader.toLowerCase()]), bodyOf(request.body))));
}

function signatureOf(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

function bodyOf(body: unknown): Uint8Array {
  return Buffer.isBuffer(body) ? body : new Uint8Array(0);
}

function send(reply: FastifyReply, result: AppleMdmReply): FastifyReply {
  reply.header('cache-control', 'no-store');
  switch (result.kind) {
    case 'ok':
      return result.plist === null ? reply.status(200).send() : reply.status(200).type(mdmCommandContentType).send(Buffer.from(result.plist));
    case 'unrecognized':
      return reply.status(403).type(unrecognizedDeviceContentType).send(result.body);
    case 'error':
      if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
      return reply.status(result.status).type('text/plain; charset=utf-8').send(result.message);
  }
}
