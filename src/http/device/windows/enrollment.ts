import rateLimit from '@fastify/rate-limit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EnvelopeError } from '../../../domain/errors.ts';
import { maxSoapRequestBytes, soapContentType, type EnrollmentService } from '../../../protocols/windows-enrollment/index.ts';
import { windowsDevicePaths } from '../../../services/enrollment/enrollment-urls.ts';
import type { WindowsEnrollmentReply, WindowsEnrollmentService } from '../../../services/enrollment/windows-enrollment-service.ts';
import { clientCertificateOf } from './client-certificate.ts';

/**
 * Enrollment requests per client address and minute. A PC sends four (discovery GET and POST,
 * GetPolicies, the RST); an office behind one NAT address enrolling 100 PCs at once stays under it,
 * and each RST costs a signature check and a certificate signature, so a flood is bounded.
 */
export const windowsEnrollmentRateLimit = { max: 600, timeWindow: 60_000 } as const;

const serviceOfPath: Readonly<Record<string, EnrollmentService>> = {
  [windowsDevicePaths.discovery]: 'discovery',
  [windowsDevicePaths.policy]: 'policy',
  [windowsDevicePaths.enrollment]: 'enrollment',
};

/**
 * The three MS-MDE2 services: `GET /EnrollmentServer/Discovery.svc` (200, empty: Windows probes
 * before it posts), `POST` Discovery.svc, Policy.svc and Enrollment.svc. Bodies are read as bytes
 * whatever their content type, up to `maxSoapRequestBytes`; every answer is SOAP 1.2
 * (`application/soap+xml; charset=utf-8`) sent whole with its Content-Length, never chunked
 * (on-premise-authentication-device-enrollment.md). Requests the framework refuses (a body too
 * large, the rate limit) are answered with a SOAP fault too, so the PC shows an enrollment error.
 */
export async function registerWindowsEnrollmentRoutes(scope: FastifyInstance, enrollment: WindowsEnrollmentService): Promise<void> {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxSoapRequestBytes }, (_request, body, done) => done(null, body));
  scope.setErrorHandler((error: FastifyError | EnvelopeError, request, reply) => {
    const service = serviceOfPath[request.url.split('?')[0]!] ?? 'discovery';
    const status = error instanceof EnvelopeError ? error.status : (error.statusCode ?? 500);
    if (status >= 500) request.log.error({ err: error }, 'windows enrollment request failed');
    return send(reply, enrollment.refuse(service, status, status >= 500 ? 'The enrollment server failed unexpectedly.' : error.message));
  });
  await scope.register(rateLimit, {
    ...windowsEnrollmentRateLimit,
    errorResponseBuilder: (_request, context) =>
      new EnvelopeError('TooManyRequests', 429, `Too many enrollment requests from this address; retry in ${context.after}.`),
  });
  const schema = { tags: ['devices'], security: [] } as const;
  scope.get(windowsDevicePaths.discovery, { schema: { ...schema, summary: 'Windows enrollment discovery probe (MS-MDE2)' } }, async (_request, reply) =>
    reply.status(200).header('cache-control', 'no-cache').type('text/html; charset=utf-8').header('content-length', '0').send(''));
  scope.post(windowsDevicePaths.discovery, { schema: { ...schema, summary: 'Windows enrollment discovery: Discover (MS-MDE2)' } }, async (request, reply) =>
    send(reply, await enrollment.discover(bodyOf(request))));
  scope.post(windowsDevicePaths.policy, { schema: { ...schema, summary: 'Windows certificate enrollment policy: GetPolicies (MS-XCEP)' } }, async (request, reply) =>
    send(reply, await enrollment.getPolicies(bodyOf(request), clientCertificateOf(request))));
  scope.post(windowsDevicePaths.enrollment, { schema: { ...schema, summary: 'Windows enrollment: RequestSecurityToken (MS-WSTEP)' } }, async (request, reply) =>
    send(reply, await enrollment.enroll(bodyOf(request), clientCertificateOf(request))));
}

function bodyOf(request: FastifyRequest): Uint8Array {
  return Buffer.isBuffer(request.body) ? request.body : new Uint8Array(0);
}

function send(reply: FastifyReply, result: WindowsEnrollmentReply): FastifyReply {
  const body = Buffer.from(result.body, 'utf8');
  if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
  return reply
    .status(result.status)
    .header('cache-control', 'no-store')
    .header('content-type', soapContentType)
    .header('content-length', String(body.length))
    .send(body);
}
