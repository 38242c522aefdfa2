import { createHash, timingSafeEqual } from 'node:crypto';

/** `Meta/Type` of an MD5 credential or challenge, compared case-insensitively (OMA writes `syncml:auth-MD5`, Windows `syncml:auth-md5`). */
export const syncMlAuthMd5 = 'syncml:auth-md5';

/**
 * The SyncML DM MD5 credential ("DIGEST" in the w7 APPLICATION's AAUTHTYPE):
 * `b64(H(b64(H(name:secret)):nonce))` with H = MD5, where the nonce is the raw bytes the server
 * sent base64-encoded in `Chal/Meta/NextNonce` ("The MD5 binary nonce is sent over XML B64 encoded
 * format, but the octal form of the binary data should be used when the service calculates the
 * hash": https://learn.microsoft.com/windows/client-management/server-requirements-windows-mdm;
 * OMA-TS-DM_Security-V1_2_1 §5.4.2). Name and secret are UTF-8.
 */
export function syncMlMd5Digest(name: string, secret: string, nonce: Uint8Array): string {
  const inner = createHash('md5').update(`${name}:${secret}`, 'utf8').digest('base64');
  return createHash('md5').update(Buffer.concat([Buffer.from(`${inner}:`, 'ascii'), nonce])).digest('base64');
}

/**
 * Whether `credData` (the `Cred/Data` text) is the MD5 credential of `name`/`secret` for `nonce`.
 * Compared in constant time; anything that is not 16 bytes of base64 is simply wrong.
 */
export function isSyncMlMd5Digest(credData: string, name: string, secret: string, nonce: Uint8Array): boolean {
  const received = Buffer.from(credData.trim(), 'base64');
  if (received.length !== 16) return false;
  return timingSafeEqual(received, Buffer.from(syncMlMd5Digest(name, secret, nonce), 'base64'));
}
