import { createHash } from 'node:crypto';
import type { certificateDestinationStores } from '../../domain/profiles/graph-enums.ts';
import type { SyncMlCommand } from './syncml-commands.ts';

/** Graph's `destinationStore` of a `windows81TrustedRootCertificate`. */
export type CertificateDestinationStore = (typeof certificateDestinationStores)[number];

/**
 * Where the RootCATrustedCertificates CSP keeps a certificate for each Graph destination store:
 * `Root` exists only in the device scope ("./User configuration is not supported for
 * RootCATrustedCertificates/Root"), intermediates go to `CA` in the device or the user scope.
 * https://learn.microsoft.com/windows/client-management/mdm/rootcacertificates-csp
 */
const storeRoots: Readonly<Record<CertificateDestinationStore, string>> = {
  computerCertStoreRoot: './Device/Vendor/MSFT/RootCATrustedCertificates/Root',
  computerCertStoreIntermediate: './Device/Vendor/MSFT/RootCATrustedCertificates/CA',
  userCertStoreIntermediate: './User/Vendor/MSFT/RootCATrustedCertificates/CA',
};

/** One certificate in one store: its `{CertHash}` node and the certificate as the CSP takes it. */
export interface WindowsCertificateNode {
  /** `…/<Store>/<SHA-1 hex>`: the node a `Delete` removes and a `Get` finds. */
  nodeLocUri: string;
  /** Base64 DER without line breaks (`EncodedCertificate` allows no formatting characters). */
  encodedCertificate: string;
}

/**
 * The CSP node of a certificate (`trustedRootCertificate`, base64 DER as Graph stores it) in
 * `destinationStore`. The node name is the certificate's SHA-1 thumbprint in upper-case hex, the
 * form the CSP names (`{CertHash}`: "the 20-byte value of the SHA1 certificate hash … as a
 * hexadecimal string"). Throws a TypeError for a value that is not base64 DER: validated profiles
 * never hold one.
 */
export function windowsCertificateNode(trustedRootCertificate: string, destinationStore: CertificateDestinationStore): WindowsCertificateNode {
  const der = Buffer.from(trustedRootCertificate, 'base64');
  if (der.length === 0 || der[0] !== 0x30) throw new TypeError('The trusted root certificate is not base64 DER.');
  const thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
  return { nodeLocUri: `${storeRoots[destinationStore]}/${thumbprint}`, encodedCertificate: der.toString('base64') };
}

/** Whether the node lives in the user scope (it waits until a user is logged in). */
export function isUserScopedLocUri(locUri: string): boolean {
  return locUri.startsWith('./User/');
}

/**
 * Installs the certificate: one `Add` of `EncodedCertificate` (format `b64`); the `{CertHash}`
 * node is created implicitly. Adding a certificate already in the store answers 418 and leaves it
 * as it is, which is the desired state: unlike an ActiveSync account, nothing is lost.
 */
export function installCertificateCommands(node: WindowsCertificateNode, firstCmdId = 1): SyncMlCommand[] {
  return [{ command: 'Add', CmdID: firstCmdId, LocURI: `${node.nodeLocUri}/EncodedCertificate`, Format: 'b64', Data: node.encodedCertificate }];
}

/** Removes the certificate: a `Delete` of its `{CertHash}` node. */
export function removeCertificateCommands(nodeLocUri: string, firstCmdId = 1): SyncMlCommand[] {
  return [{ command: 'Delete', CmdID: firstCmdId, LocURI: nodeLocUri }];
}
