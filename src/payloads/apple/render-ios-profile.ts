import type { DirectoryUser, ManagedDevice } from '../../domain/directory.ts';
import { resolveAccountUserValues } from '../../domain/user-values.ts';
import type { AppleCertificateMaterialById } from './certificate-material.ts';
import { certificatePayload, certificatePayloadTypes, type CertificatePayloadType } from './certificate-payloads.ts';
import { easAccountPayload } from './eas-account-payload.ts';
import { planIosCertificates } from './ios-certificate-plan.ts';
import type { IosEmailProfileInput } from './ios-email-profile-input.ts';
import { deriveIosPayloadIds, type IosPayloadIdSeed } from './ios-payload-ids.ts';
import { deviceNotApplicable, notAnIosEmailProfile, userIsNotPrimaryUser } from './ios-render-errors.ts';
import { buildPlistXml, serializePlistFragment } from './plist-xml.ts';

export interface RenderIosProfileInput {
  profile: IosEmailProfileInput;
  /** The device's primary user: username and address come from this user's attributes. */
  user: DirectoryUser;
  device: ManagedDevice;
  /** Material for the certificate profiles the email profile links, by certificate profile id. */
  certificates: AppleCertificateMaterialById;
  ids: IosPayloadIdSeed;
  /** `PayloadOrganization` (e.g. the tenant's organisation name); omitted when absent or empty. */
  organization?: string | null;
}

export interface RenderedCertificatePayload {
  certificateProfileId: string;
  payloadType: CertificatePayloadType;
  payloadIdentifier: string;
  payloadUUID: string;
}

export interface RenderedIosProfile {
  /** The unsigned `.mobileconfig`: an XML plist, to be sent as UTF-8 bytes (or signed first). */
  xml: string;
  /** Top-level `PayloadIdentifier`: what `RemoveProfile` names and `ProfileList` reports. */
  payloadIdentifier: string;
  /** Top-level `PayloadUUID`: changes whenever the rendered content changes. */
  payloadUUID: string;
  profileVersion: number;
  /** The `com.apple.eas.account` payload and the identity iOS uses for duplicate detection. */
  account: {
    payloadIdentifier: string;
    payloadUUID: string;
    host: string;
    emailAddress: string;
    userName: string;
  };
  /** Certificate payloads in the profile, in document order. */
  certificates: RenderedCertificatePayload[];
}

/**
 * Compiles an iOS email profile for one device's primary user into a `.mobileconfig`
 * (payload-formats §1): the `Configuration` envelope, the certificate payloads the account uses
 * (trusted roots, then identities) and one `com.apple.eas.account` payload linked to them by
 * `PayloadUUID`. Pure and deterministic: same input, same bytes; no clock, no randomness.
 *
 * Throws (never returns a partial payload): `MissingUserAttributeError` when the user lacks an
 * attribute the sources need; `EnvelopeError`s from `ios-render-errors.ts` for a non-iOS profile or
 * device, a user who is not the device's primary user, missing or mismatched certificate
 * material, and settings iOS or Envelope cannot deliver.
 */
export function renderIosProfile(input: RenderIosProfileInput): RenderedIosProfile {
  const { profile, user, device } = input;
  assertApplicable(profile, user, device);
  const settings = profile.settings;
  const values = resolveAccountUserValues(settings, user);
  const ids = deriveIosPayloadIds(input.ids, profile.id, user.id, { host: settings.hostName, emailAddress: values.emailAddress });
  const plan = planIosCertificates(settings, profile.links, input.certificates);

  const certificates = plan.payloads.map(({ certificateProfileId, material }): RenderedCertificatePayload => ({
    certificateProfileId,
    payloadType: certificatePayloadTypes[material.kind],
    payloadIdentifier: ids.certificateIdentifier(certificateProfileId),
    payloadUUID: ids.certificateUUID(certificateProfileId),
  }));
  const uuidOf = (certificateProfileId: string | null): string | null =>
    certificates.find((c) => c.certificateProfileId === certificateProfileId)?.payloadUUID ?? null;

  const accountPayload = easAccountPayload(
    settings,
    values,
    { identifier: ids.accountIdentifier, uuid: ids.accountUUID },
    { identity: uuidOf(plan.identity), signing: uuidOf(plan.signing), encryption: uuidOf(plan.encryption) },
  );
  const content = serializePlistFragment(
    [
      ...plan.payloads.map(({ material }, i) => {
        const rendered = certificates[i] as RenderedCertificatePayload;
        return certificatePayload(material, { identifier: rendered.payloadIdentifier, uuid: rendered.payloadUUID });
      }),
      accountPayload,
    ],
    1,
  );
  const description = profile.description || undefined;
  const organization = input.organization || undefined;
  const payloadUUID = ids.profileUUID([profile.displayName, description ?? '', organization ?? '', content.xml]);
  const xml = buildPlistXml({
    PayloadType: 'Configuration',
    PayloadVersion: 1,
    PayloadIdentifier: ids.profileIdentifier,
    PayloadUUID: payloadUUID,
    PayloadDisplayName: profile.displayName,
    PayloadDescription: description,
    PayloadOrganization: organization,
    PayloadContent: content,
  });

  return {
    xml,
    payloadIdentifier: ids.profileIdentifier,
    payloadUUID,
    profileVersion: profile.version,
    account: {
      payloadIdentifier: ids.accountIdentifier,
      payloadUUID: ids.accountUUID,
      host: settings.hostName,
      emailAddress: values.emailAddress,
      userName: accountPayload.UserName as string,
    },
    certificates,
  };
}

const iosProfileType = 'iosEasEmailProfileConfiguration';

function assertApplicable(profile: IosEmailProfileInput, user: DirectoryUser, device: ManagedDevice): void {
  if (profile.odataType !== undefined && profile.odataType.replace(/^#?microsoft\.graph\./, '') !== iosProfileType) {
    throw notAnIosEmailProfile(profile.odataType);
  }
  if (device.operatingSystem !== 'iOS' && device.operatingSystem !== 'iPadOS') throw deviceNotApplicable(device);
  if (device.userId !== user.id) throw userIsNotPrimaryUser(device, user.id);
}
