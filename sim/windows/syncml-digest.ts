import { createHash } from 'node:crypto';

/**
 * The SyncML MD5 digest credential (`syncml:auth-md5`, OMA DM Security 1.2 §5.3, used by Windows when
 * the w7 APPLICATION's APPAUTH has AAUTHTYPE DIGEST): B64(H(B64(H(name:secret)):nonce)), where H is
 * MD5 and the nonce is the raw bytes (the `NextNonce` of a Chal, or the provisioned AAUTHDATA, both
 * base64 on the wire: w7-application-csp.md "the octal form of the binary data should be used when
 * calculating the hash").
 */
export function syncMlMd5Credential(name: string, secret: string, nonce: Uint8Array): string {
  const inner = createHash('md5').update(`${name}:${secret}`, 'utf8').digest('base64');
  return createHash('md5').update(Buffer.concat([Buffer.from(`${inner}:`, 'utf8'), nonce])).digest('base64');
}

/** A nonce as carried on the wire (base64), decoded; a malformed one decodes to what Buffer makes of it. */
export function decodeNonce(base64: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64.trim(), 'base64'));
}
