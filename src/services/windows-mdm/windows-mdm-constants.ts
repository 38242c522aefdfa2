import { initialDigestNonce as provisionedDigestNonce } from '../../protocols/windows-enrollment/provisioning-document.ts';
import { windowsDevicePaths, windowsMdmProviderId } from '../enrollment/enrollment-urls.ts';
import { windowsDigestSecretContext } from '../enrollment/windows-enrollment-service.ts';

/**
 * Fixed names of Envelope's Windows management endpoint, as the MS-MDE2 enrollment writes them into
 * the PC's provisioning document (w7 APPLICATION `ADDR`, `PROVIDER-ID`): one definition for both.
 */

/** Path of the OMA-DM endpoint (the w7 APPLICATION's ADDR is `<public URL>` + this). */
export const windowsManagementPath = windowsDevicePaths.management;

/** The DMClient provider id (`PROVIDER-ID` in the w7 APPLICATION; `./Vendor/MSFT/DMClient/Provider/<id>`). */
export const dmClientProviderId = windowsMdmProviderId;

/** The only encoding Envelope speaks ([MS-MDM]: the enrollment sets DEFAULTENCODING to it). */
export const syncMlXmlContentType = 'application/vnd.syncml.dm+xml';

/** WBXML, which Windows can send when DEFAULTENCODING asks for it; answered 415. */
export const syncMlWbxmlContentType = 'application/vnd.syncml.dm+wbxml';

/**
 * The PC's WNS channel URI, read in every session: it is renewed every 30 days and changes without
 * notice (https://learn.microsoft.com/windows/client-management/mdm/dmclient-csp, `Push/ChannelURI`).
 */
export const pushChannelUriLocUri = `./Vendor/MSFT/DMClient/Provider/${dmClientProviderId}/Push/ChannelURI`;

/**
 * Where a PC is given the WNS app's Package Family Name ("used to register a device for Push
 * Notifications. The server must use the same PFN as the devices it's managing"; Add, Delete, Get,
 * Replace, Format chr). Until it is set the PC reports no ChannelURI (dmclient-csp, `Push/PFN`,
 * `Push/ChannelURI`).
 */
export const pushPfnLocUri = `./Vendor/MSFT/DMClient/Provider/${dmClientProviderId}/Push/PFN`;

/** The Windows build (DevDetail `SwV`, e.g. `10.0.22631.4460`), read with the channel URI. */
export const softwareVersionLocUri = './DevDetail/SwV';

/** The SecretBox context the enrollment sealed the DIGEST secret under (tenant and device bound). */
export const digestSecretContext = windowsDigestSecretContext;

/**
 * The first DIGEST nonce, which the enrollment provisions as `APPAUTH/AAUTHDATA` (base64) and
 * derives from the secret, so that it needs no storage; as raw bytes. Accepted for a PC's first
 * session only.
 */
export function initialDigestNonce(secret: string): Buffer {
  return Buffer.from(provisionedDigestNonce(secret), 'base64');
}
