import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { EnvelopeError } from '../../../domain/errors.ts';
import { defaultSyncMlLimits } from '../../../protocols/omadm/index.ts';
import { syncMlXmlContentType, windowsManagementPath } from '../../../services/windows-mdm/windows-mdm-constants.ts';
import type { WindowsMdmReply, WindowsMdmService } from '../../../services/windows-mdm/windows-mdm-service.ts';
import { clientCertificateOf } from './client-certificate.ts';

/**
 * Requests per client address and minute. Each PC sends a few messages per session; the limit only
 * bounds what one address can make the server authenticate, far above a NAT'd office's traffic.
 */
export const windowsMdmAddressRateLimit = { max: 60_000, timeWindow: 60_000 } as const;

/**
 * `POST /ManagementServer/MDM.svc`, the OMA-DM endpoint of enrolled Windows PCs ([MS-MDM]). The body
 * is read as bytes whatever its type (the service answers 415 for anything but SyncML XML), up to
 * the SyncML size limit. Answers: 200 with the next SyncML message — also when the PC must
 * authenticate: the SyncHdr Status is then 401 or 407 with a `Chal` (MD5 challenge), which Windows
 * answers with credentials; 400 or 415 with a plain-text reason and no SyncML; 429 when one address
 * sends too much.
 */
export async function registerWindowsManagementRoutes(scope: FastifyInstance, mdm: WindowsMdmService): Promise<void> {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: defaultSyncMlLimits.maxBytes }, (_request, body, done) => done(null, body));
  await scope.register(rateLimit, {
    ...windowsMdmAddressRateLimit,
    errorResponseBuilder: (_request, context) =>
      new EnvelopeError('TooManyRequests', 429, `Too many management requests from this address; retry in ${context.after}.`),
  });
  scope.post(windowsManagementPath, { schema: { tags: ['devices'], summary: 'Windows OMA-DM management session (SyncML DM 1.2)', security: [] } }, async (request, reply) =>
    send(reply, await mdm.handle({
      body: Buffer.isBuffer(request.body) ? request.body : new Uint8Array(0),
      contentType: request.headers['content-type'],
      clientCertificateDer: clientCertificateOf(request),
    })));
}

function send(reply: FastifyReply, result: WindowsMdmReply): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (result.kind === 'syncml') return reply.status(result.status).type(syncMlXmlContentType).send(result.body);
  return reply.status(result.status).type('text/plain; charset=utf-8').send(result.message);
}
