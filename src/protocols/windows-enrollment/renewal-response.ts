import { certificateThumbprint } from './provisioning-document.ts';
import type { WindowsEnrollmentType } from './request-security-token.ts';
import { buildXml } from './soap-response.ts';

export interface RenewalProvisioningDocumentInput {
  /** The tenant CA (DER), installed again in `Root/System` in case the PC lost it. */
  caCertificateDer: Uint8Array;
  /** The PC's new certificate (DER), issued for the key of the renewal's PKCS#10. */
  clientCertificateDer: Uint8Array;
  /** The enrollment's type: the new certificate goes to the store the first one went to. */
  enrollmentType: WindowsEnrollmentType;
  /** `APPLICATION/PROVIDER-ID`: the OMA-DM account the certificate belongs to. */
  providerId: string;
}

/**
 * The WAP provisioning document a renewal RSTRC carries (certificate-renewal-windows-mdm.md,
 * "Certificate renewal response"): only the new certificate with its `PrivateKeyContainer` in
 * `My/User` (Full) or `My/System` (Device), the root, and `APPLICATION/PROVIDER-ID`. The OMA-DM
 * account, its DIGEST credential and the DMClient settings of the first enrollment are not repeated:
 * they stay as they are. Windows installs the new certificate and deletes the old one. The client
 * certificate search criteria (`CN=<DeviceID>` in that store) find the new certificate unchanged.
 */
export function buildRenewalProvisioningDocument(input: RenewalProvisioningDocumentInput): string {
  const store = input.enrollmentType === 'Device' ? 'System' : 'User';
  return buildXml({
    'wap-provisioningdoc': {
      '@_version': '1.1',
      characteristic: [
        {
          '@_type': 'CertificateStore',
          characteristic: [
            {
              '@_type': 'Root',
              characteristic: [{ '@_type': 'System', characteristic: [{
                '@_type': certificateThumbprint(input.caCertificateDer),
                parm: [{ '@_name': 'EncodedCertificate', '@_value': Buffer.from(input.caCertificateDer).toString('base64') }],
              }] }],
            },
            {
              '@_type': 'My',
              characteristic: [{ '@_type': store, characteristic: [
                {
                  '@_type': certificateThumbprint(input.clientCertificateDer),
                  parm: [{ '@_name': 'EncodedCertificate', '@_value': Buffer.from(input.clientCertificateDer).toString('base64') }],
                },
                { '@_type': 'PrivateKeyContainer' },
              ] }],
            },
          ],
        },
        { '@_type': 'APPLICATION', parm: [{ '@_name': 'PROVIDER-ID', '@_value': input.providerId }] },
      ],
    },
  });
}
