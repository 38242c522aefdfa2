import { nameBasedUuid, uuidBytes } from './name-based-uuid.ts';

/**
 * Where payload ids come from: injected, so renders are reproducible in tests and stable across
 * server processes. `namespace` is a per-deployment UUID from configuration.
 */
export interface IosPayloadIdSeed {
  namespace: string;
  tenantId: string;
  /** Reverse-DNS prefix of every `PayloadIdentifier`; default `com.envelope.email`. */
  identifierPrefix?: string;
}

/** The account identity iOS itself uses to tell accounts apart (host + address, case-insensitive). */
export interface IosAccountIdentity {
  host: string;
  emailAddress: string;
}

/**
 * The identifier scheme of one (profile, user) pair. Apple updates a payload in place only when
 * both its `PayloadIdentifier` and `PayloadUUID` are unchanged, and replaces a whole profile when the
 * top-level `PayloadIdentifier` matches (payload-formats §1.2). Hence:
 *
 * - profile `PayloadIdentifier` = `<prefix>.<profileId>.<userId>`: stable for the pair, so every
 *   new version replaces the installed profile, and `RemoveProfile` can always name it;
 * - account (EAS) `PayloadIdentifier` = `<profile id>.eas.<tag>` and `PayloadUUID`: derived from the
 *   pair **and** the account identity (host, email address). New profile versions keep them, so
 *   the account is edited in place; a changed host or address gives new ones, so the device
 *   removes the old account and creates the new one within the same profile replacement;
 * - certificate payloads: `<profile id>.cert.<certificateProfileId>`, UUID per (pair, certificate
 *   profile), stable across versions;
 * - profile `PayloadUUID`: derived from the identifier and everything rendered into it, so an
 *   unchanged render keeps it and any change (new version, renewed certificate, changed user
 *   attribute) gets a new one — `ProfileList` then tells which content a device really has.
 *
 * Characters of ids outside `[A-Za-z0-9-]` are escaped as `_<hex code point>_`, so identifiers stay
 * reverse-DNS and distinct ids never map to the same segment.
 */
export interface IosPayloadIds {
  profileIdentifier: string;
  accountIdentifier: string;
  accountUUID: string;
  certificateIdentifier(certificateProfileId: string): string;
  certificateUUID(certificateProfileId: string): string;
  /** The profile `PayloadUUID` for everything rendered into the profile (envelope texts and serialized `PayloadContent`). */
  profileUUID(renderedParts: readonly string[]): string;
}

/** The top-level `PayloadIdentifier` of the email profile `profileId` rendered for `userId` (what `RemoveProfile` names). */
export function iosProfileIdentifier(seed: Pick<IosPayloadIdSeed, 'identifierPrefix'>, profileId: string, userId: string): string {
  return `${seed.identifierPrefix ?? 'com.envelope.email'}.${identifierSegment(profileId)}.${identifierSegment(userId)}`;
}

/**
 * The top-level `PayloadIdentifier` of a certificate profile sent on its own: per user for identities,
 * per device (`device`) for trusted roots, which carry no user.
 */
export function iosCertificateProfileIdentifier(certificateProfileId: string, userId: string | null): string {
  return `com.envelope.certificate.${identifierSegment(certificateProfileId)}.${userId === null ? 'device' : identifierSegment(userId)}`;
}

export function deriveIosPayloadIds(seed: IosPayloadIdSeed, profileId: string, userId: string, account: IosAccountIdentity): IosPayloadIds {
  const namespace = uuidBytes(seed.namespace);
  const pair = [seed.tenantId, profileId, userId];
  const profileIdentifier = iosProfileIdentifier(seed, profileId, userId);
  const accountUUID = nameBasedUuid(namespace, ['eas', ...pair, account.host.trim().toLowerCase(), account.emailAddress.trim().toLowerCase()]);
  return {
    profileIdentifier,
    accountIdentifier: `${profileIdentifier}.eas.${accountUUID.slice(0, 8).toLowerCase()}`,
    accountUUID,
    certificateIdentifier: (certificateProfileId) => `${profileIdentifier}.cert.${identifierSegment(certificateProfileId)}`,
    certificateUUID: (certificateProfileId) => nameBasedUuid(namespace, ['certificate', ...pair, certificateProfileId]),
    profileUUID: (renderedParts) => nameBasedUuid(namespace, ['profile', seed.tenantId, profileIdentifier, ...renderedParts]),
  };
}

const plainSegment = /^[A-Za-z0-9-]+$/;

function identifierSegment(id: string): string {
  if (plainSegment.test(id)) return id;
  return id.replace(/[^A-Za-z0-9-]/gu, (c) => `_${(c.codePointAt(0) as number).toString(16)}_`);
}
