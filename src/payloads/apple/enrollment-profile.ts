import { nameBasedUuid, uuidBytes } from './name-based-uuid.ts';
import { buildPlistXml, type PlistDict } from './plist-xml.ts';

/**
 * The MDM access rights every Envelope enrollment grants (`com.apple.mdm` `AccessRights`). Rights can
 * never be added by updating an installed enrollment profile (com.apple.mdm.yaml), so this is the
 * final set; docs/decisions/0012-apple-enrollment-profile.md says why each is in or out:
 * - 1 inspect profiles (`ProfileList`, and `CertificateList`, which Apple puts under the same right):
 *   delivery verifies what is installed and which identity certificates a device holds;
 * - 2 install and remove profiles: delivering and withdrawing email profiles (needs 1);
 * - 16 device information (`DeviceInformation`: name, model, OS version, serial): inventory and
 *   platform applicability;
 * - 1024 security queries (`SecurityInfo`: passcode present, data protection): the basis for refusing
 *   mail to unprotected devices later.
 * Not granted: lock/erase (4, 8), network information (32), provisioning profiles (64, 128),
 * applications (256, 4096), restrictions (512), settings (2048) — email does not need them, and an
 * employee enrolling a personal phone should not have to grant them.
 */
export const enrollmentAccessRights = 1 | 2 | 16 | 1024;

export interface EnrollmentProfileInput {
  /** Per-deployment UUID namespace for name-based payload UUIDs. */
  namespace: string;
  tenantId: string;
  /** The organisation's name, shown as `PayloadDisplayName`/`PayloadOrganization`. */
  organization: string;
  /** The device identity (legacy PKCS#12) and its transport password; the MDM payload names it. */
  identity: { pkcs12: Uint8Array; password: string; payloadUUID: string };
  /** The push certificate's topic (`com.apple.mgmt.…`). */
  topic: string;
  /** `https://…/mdm/apple/server` and `https://…/mdm/apple/checkin`: fixed for the enrollment's life. */
  serverUrl: string;
  checkInUrl: string;
}

export interface RenderedEnrollmentProfile {
  /** The unsigned `.mobileconfig` (XML plist). */
  xml: string;
  payloadIdentifier: string;
  payloadUUID: string;
  mdmPayloadUUID: string;
}

/**
 * Compiles an Apple MDM enrollment profile (payload-formats §1.1–1.2, delivery-protocols a.1): a
 * `Configuration` with a `com.apple.security.pkcs12` payload holding the device identity and the
 * `com.apple.mdm` payload that names it by `IdentityCertificateUUID`.
 *
 * Identifiers: the top-level `PayloadIdentifier` (`com.envelope.mdm.<tenantId>`) and `PayloadUUID`,
 * and the MDM payload's identifier and UUID, are fixed per tenant, so enrolling a device again replaces
 * the installed profile instead of adding a second one. The identity payload's UUID is the caller's
 * (one per served profile, since each carries a new identity).
 *
 * Fixed keys: `SignMessage` (every request carries `Mdm-Signature`, so identity travels through any
 * TLS-terminating proxy), `CheckOutWhenRemoved`, `AccessRights` = `enrollmentAccessRights`,
 * `UseDevelopmentAPNS` false (Apple's portal issues production certificates only), no
 * `ServerCapabilities` (Envelope serves the device channel only), `PayloadRemovalDisallowed` false
 * (it would need supervision, and the user may leave management), `PayloadScope` System,
 * `TargetDeviceType` 1 (iPhone/iPad: no "which device?" prompt when downloaded on a Mac).
 *
 * Pure: no clock or randomness. Throws `TypeError` for a non-https URL, a topic without the
 * `com.apple.mgmt.` prefix, or strings an XML plist cannot carry.
 */
export function renderEnrollmentProfile(input: EnrollmentProfileInput): RenderedEnrollmentProfile {
  for (const [name, url] of [['serverUrl', input.serverUrl], ['checkInUrl', input.checkInUrl]] as const) {
    if (!/^https:\/\/[^/\s]+/.test(url)) throw new TypeError(`${name} must be an https URL, got '${url}'`);
  }
  if (!input.topic.startsWith('com.apple.mgmt.')) throw new TypeError(`not an MDM push topic: '${input.topic}'`);

  const namespace = uuidBytes(input.namespace);
  const payloadIdentifier = `com.envelope.mdm.${input.tenantId}`;
  const payloadUUID = nameBasedUuid(namespace, ['enrollment-profile', input.tenantId]);
  const mdmPayloadUUID = nameBasedUuid(namespace, ['enrollment-mdm', input.tenantId]);

  const identityPayload: PlistDict = {
    PayloadType: 'com.apple.security.pkcs12',
    PayloadVersion: 1,
    PayloadIdentifier: `${payloadIdentifier}.identity`,
    PayloadUUID: input.identity.payloadUUID,
    PayloadDisplayName: 'Device management identity',
    PayloadCertificateFileName: 'envelope-mdm-identity.p12',
    PayloadContent: input.identity.pkcs12,
    // The PKCS#12's own random transport password; it exists nowhere but in this profile.
    Password: input.identity.password,
  };
  const mdmPayload: PlistDict = {
    PayloadType: 'com.apple.mdm',
    PayloadVersion: 1,
    PayloadIdentifier: `${payloadIdentifier}.mdm`,
    PayloadUUID: mdmPayloadUUID,
    PayloadDisplayName: 'Mobile device management',
    IdentityCertificateUUID: input.identity.payloadUUID,
    Topic: input.topic,
    ServerURL: input.serverUrl,
    CheckInURL: input.checkInUrl,
    SignMessage: true,
    CheckOutWhenRemoved: true,
    AccessRights: enrollmentAccessRights,
    UseDevelopmentAPNS: false,
  };
  const xml = buildPlistXml({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: payloadIdentifier,
    PayloadUUID: payloadUUID,
    PayloadDisplayName: `${input.organization} device management`,
    PayloadDescription: `Lets ${input.organization} deliver your work email settings to this device.`,
    PayloadOrganization: input.organization,
    PayloadRemovalDisallowed: false,
    PayloadScope: 'System',
    TargetDeviceType: 1,
    PayloadContent: [identityPayload, mdmPayload],
  });
  return { xml, payloadIdentifier, payloadUUID, mdmPayloadUUID };
}
