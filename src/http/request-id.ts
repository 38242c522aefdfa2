import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isUuid } from '../domain/ids.ts';

/**
 * Fastify's `genReqId`: the request's id, which logs carry as `reqId` and the audit trail records as
 * Graph's `correlationId`. Graph clients (the SDKs, PowerShell) send a GUID `client-request-id`
 * header to correlate their calls; that GUID is used when present, otherwise a new one.
 */
export function requestIdOf(request: IncomingMessage): string {
  const sent = request.headers['client-request-id'];
  return typeof sent === 'string' && isUuid(sent) ? sent.toLowerCase() : randomUUID();
}
