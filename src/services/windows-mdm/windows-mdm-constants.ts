import { createHmac } from 'node:crypto';

/**
 * Fixed names of Envelope's Windows management endpoint. The MS-MDE2 enrollment writes the same
 * values into the PC's provisioning document (w7 APPLICATION `ADDR`, `PROVIDER-ID`); the two must agree.
 */

/** Path of the OMA-DM endpoint (the w7 APPLICATION's ADDR is `<public URL>` + this). */
export const windowsManagementPath = '/ManagementServer/MDM.svc';

/** The DMClient provider id (`PROVIDER-ID` in the w7 APPLICATION; `./Vendor/MSFT/DMClient/Provider/<id>`). */
export const dmClientProviderId = 'Envelope';

/** The only encoding Envelope speaks ([MS-MDM]: the enrollment sets DEFAULTENCODING to it). */
export const syncMlXmlContentType = 'application/vnd.syncml.dm+xml';

/** WBXML, which Windows can send when DEFAULTENCODING asks for it; answered 415. */
export const syncMlWbxmlContentType = 'application/vnd.syncml.dm+wbxml';

/**
 * The PC's WNS channel URI, read in every session: it is renewed every 30 days and changes without
 * notice (https://learn.microsoft.com/windows/client-management/mdm/dmclient-csp, `Push/ChannelURI`).
 */
export const pushChannelUriLocUri = `./Vendor/MSFT/DMClient/Provider/${dmClientProviderId}/Push/ChannelURI`;

/** The Windows build (DevDetail `SwV`, e.g. `10.0.22631.4460`), read with the channel URI. */
export const softwareVersionLocUri = './DevDetail/SwV';

/**
 * The SecretBox context the DIGEST secret of an enrollment is sealed under (tenant and device bound,
 * so a sealed secret copied to another row does not open). The same value as the MS-MDE2
 * enrollment's `windowsDigestSecretContext`, which seals it.
 */
export function digestSecretContext(tenantId: string, deviceId: string): string {
  return `tenant:${tenantId}:windowsDigestSecret:${deviceId}`;
}

/**
 * The first DIGEST nonce, which the enrollment provisions as `APPAUTH/AAUTHDATA` (base64) and
 * derives from the secret, so that it needs no storage: the first 16 bytes of
 * HMAC-SHA256(secret, "Envelope initial SyncML DIGEST nonce"). The same as the enrollment's
 * `initialDigestNonce`, as raw bytes. Accepted for a PC's first session only.
 */
export function initialDigestNonce(secret: string): Buffer {
  return createHmac('sha256', secret).update('Envelope initial SyncML DIGEST nonce').digest().subarray(0, 16);
}
