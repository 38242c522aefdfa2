import { messageFormatFault } from './enrollment-fault.ts';
import { minimumRsaModulusBits } from './certificate-request.ts';
import { namespaces, soapActions } from './mde2-names.ts';
import { isNode, type SoapEnvelope } from './soap-envelope.ts';
import { renderSoapEnvelope, type XmlElement } from './soap-response.ts';

/** Checks that the body is a `GetPolicies` request ([MS-XCEP] §3.1.4.1.1.1); its `client` and `requestFilter` change nothing. */
export function requireGetPolicies(envelope: SoapEnvelope): void {
  if (!isNode(envelope.body.GetPolicies) && envelope.body.GetPolicies !== '') {
    throw messageFormatFault('The SOAP body has no GetPolicies element.');
  }
}

/** One year, as the issued certificate lives (`certificateValidity`, seconds). */
export const certificateValiditySeconds = 365 * 24 * 3600;
/** When the PC should renew: 42 days before expiry, the RenewPeriod of the provisioning document. */
export const certificateRenewalSeconds = 42 * 24 * 3600;

/** The key storage providers a PC may create the key in: the TPM first, else software (delivery-protocols b.1). */
export const cryptoProviders = ['Microsoft Platform Crypto Provider', 'Microsoft Software Key Storage Provider'] as const;

const nil = { '@_xsi:nil': 'true' } as const;

/**
 * The one enrollment policy ([MS-XCEP] §3.1.4.1.3): an RSA key of at least 2048 bits in the TPM or
 * software KSP, a SHA-256 signature, one year of validity. `hashAlgorithmOIDReference` 0 points at
 * SHA-256 (`2.16.840.1.101.3.4.2.1`, OID group 1 = hash algorithms, as CryptoAPI numbers groups and
 * Microsoft's example uses for its hash reference); OID 1 is RSA (group 3, public key algorithms).
 * Every optional element is sent as `xsi:nil`, as Microsoft's example does.
 */
export function renderGetPoliciesResponse(header: { relatesTo: string }): string {
  const attributes: XmlElement = {
    commonName: 'Envelope',
    policySchema: '3',
    certificateValidity: {
      validityPeriodSeconds: String(certificateValiditySeconds),
      renewalPeriodSeconds: String(certificateRenewalSeconds),
    },
    permission: { enroll: 'true', autoEnroll: 'false' },
    privateKeyAttributes: {
      minimalKeyLength: String(minimumRsaModulusBits),
      keySpec: nil,
      keyUsageProperty: nil,
      permissions: nil,
      algorithmOIDReference: nil,
      cryptoProviders: { provider: cryptoProviders.map((name) => ({ '#text': name })) },
    },
    revision: { majorRevision: '101', minorRevision: '0' },
    supersededPolicies: nil,
    privateKeyFlags: nil,
    subjectNameFlags: nil,
    enrollmentFlags: nil,
    generalFlags: nil,
    hashAlgorithmOIDReference: '0',
    rARequirements: nil,
    keyArchivalAttributes: nil,
    extensions: nil,
  };
  return renderSoapEnvelope(
    { action: soapActions.getPoliciesResponse, relatesTo: header.relatesTo },
    {
      GetPoliciesResponse: {
        '@_xmlns': namespaces.enrollmentPolicy,
        response: {
          policyID: '',
          policyFriendlyName: nil,
          nextUpdateHours: nil,
          policiesNotChanged: nil,
          policies: { policy: { policyOIDReference: '0', cAs: nil, attributes } },
        },
        cAs: nil,
        oIDs: {
          oID: [
            { value: '2.16.840.1.101.3.4.2.1', group: '1', oIDReferenceID: '0', defaultName: 'szOID_NIST_sha256' },
            { value: '1.2.840.113549.1.1.1', group: '3', oIDReferenceID: '1', defaultName: 'szOID_RSA_RSA' },
          ],
        },
      },
    },
  );
}
