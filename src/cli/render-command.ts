import { readFileSync, writeFileSync } from 'node:fs';
import type { DirectoryUser, ManagedDevice } from '../domain/directory.ts';
import { deviceOperatingSystems } from '../domain/directory.ts';
import { badRequest } from '../domain/errors.ts';
import { checkProfileLinks, linkedIdsOf, parseProfileCreate, type Profile, type ProfileDraft, type ProfileType } from '../domain/profiles/index.ts';
import { nameBasedUuid, uuidBytes } from '../payloads/apple/name-based-uuid.ts';
import type { AppleCertificateMaterial } from '../payloads/apple/certificate-material.ts';
import { signProfile } from '../payloads/apple/sign-profile.ts';
import { loadSigningIdentity } from './signing-identity-files.ts';
import type { PreviewMaterialBuilder } from '../services/rendering/preview-service.ts';
import { envelopeUuidNamespace, previewDevice, previewGuid, renderWithStandIns } from '../services/rendering/render-inputs.ts';

export interface RenderOptions {
  user: string;
  certificate: string[];
  device?: string;
  signCert?: string;
  signKey?: string;
  out?: string;
}

/**
 * `envelope render`: offline profile compiler, so admins of any MDM can use Envelope's renderers.
 * Writes the payload to `out` or stdout; bad input throws an EnvelopeError naming the field or file.
 */
export async function renderCommand(profileFile: string, values: RenderOptions, material: PreviewMaterialBuilder): Promise<void> {
  const profileJson = readJson(profileFile);
  const profile = toProfile(parseProfileCreate(profileJson), profileJson);
  const certificates = values.certificate.map((file) => {
    const json = readJson(file) as Record<string, unknown>;
    if (typeof json.id !== 'string') throw badRequest(`${file}: a certificate profile needs the "id" the email profile binds to.`, 'id');
    return toProfile(parseProfileCreate(json), json);
  });
  checkProfileLinks(profile, new Map<string, ProfileType>(certificates.map((c) => [c.id, c.odataType])));
  const user = toUser(readJson(values.user));
  const device = values.device ? toDevice(readJson(values.device), user) : previewDevice(profile.odataType as never, user.id);

  const appleCertificates = new Map<string, AppleCertificateMaterial>();
  if (device.operatingSystem === 'iOS' || device.operatingSystem === 'iPadOS') {
    for (const id of linkedIdsOf(profile.links)) {
      const certificateProfile = certificates.find((c) => c.id === id)!;
      if (certificateProfile.odataType.endsWith('PkcsCertificateProfile')) {
        throw badRequest(`Certificate profile '${id}' is PKCS: its identity is issued by Envelope's CA per device; render it through the server's preview instead.`, 'certificate');
      }
      appleCertificates.set(id, await material({ certificateProfile, user, device }));
      const root = certificateProfile.links.rootCertificate;
      const rootProfile = root ? certificates.find((c) => c.id === root) : undefined;
      if (root && !rootProfile) throw badRequest(`Certificate profile '${id}' binds rootCertificate '${root}': pass that profile with --certificate too.`, 'certificate');
      if (rootProfile) appleCertificates.set(rootProfile.id, await material({ certificateProfile: rootProfile, user, device }));
    }
  }
  const rendered = renderWithStandIns({ profile, user, device, appleCertificates, tenantId: 'offline' });
  let output: string | Uint8Array = typeof rendered.content === 'string' ? rendered.content : `${JSON.stringify(rendered.content, null, 2)}\n`;
  if (values.signCert || values.signKey) {
    if (!values.signCert || !values.signKey) throw badRequest('Signing needs both --sign-cert and --sign-key.', values.signCert ? 'sign-key' : 'sign-cert');
    if (rendered.format !== 'mobileconfig') throw badRequest(`Only iOS profiles are signed; this one renders as ${rendered.format}.`, 'sign-cert');
    const identity = await loadSigningIdentity(values.signCert, values.signKey);
    output = await signProfile(new TextEncoder().encode(rendered.content), identity);
  }
  if (values.out) {
    writeFileSync(values.out, output);
    process.stderr.write(`Wrote ${rendered.format}${typeof output === 'string' ? '' : ' (signed)'} for ${rendered.emailAddress} to ${values.out}.\n`);
  } else {
    process.stdout.write(output);
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw badRequest(`Cannot read ${file}.`, file);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`${file} is not valid JSON: ${(error as Error).message}`, file);
  }
}

function toProfile(draft: ProfileDraft, json: unknown): Profile {
  const source = json as { id?: unknown; version?: unknown };
  const id = typeof source.id === 'string' ? source.id : nameBasedUuid(uuidBytes(envelopeUuidNamespace), ['offline-profile', draft.displayName]);
  const version = typeof source.version === 'number' && Number.isInteger(source.version) && source.version > 0 ? source.version : 1;
  const now = new Date(0).toISOString();
  return { ...draft, id, version, createdDateTime: now, lastModifiedDateTime: now };
}

function toUser(json: unknown): DirectoryUser {
  const u = (json ?? {}) as Record<string, unknown>;
  const text = (key: string, required = false): string | null => {
    const value = u[key];
    if (value === undefined || value === null) {
      if (required) throw badRequest(`The user file needs ${key}.`, key);
      return null;
    }
    if (typeof value !== 'string' || value.trim() === '') throw badRequest(`The user's ${key} must be a non-empty string.`, key);
    return value;
  };
  const userPrincipalName = text('userPrincipalName', true)!;
  return {
    id: text('id') ?? nameBasedUuid(uuidBytes(envelopeUuidNamespace), ['offline-user', userPrincipalName.toLowerCase()]),
    displayName: text('displayName') ?? userPrincipalName,
    userPrincipalName,
    mail: text('mail'),
    onPremisesSamAccountName: text('onPremisesSamAccountName'),
    onPremisesDomainName: text('onPremisesDomainName'),
    onPremisesNetBiosName: text('onPremisesNetBiosName'),
  };
}

function toDevice(json: unknown, user: DirectoryUser): ManagedDevice {
  const d = (json ?? {}) as Record<string, unknown>;
  const os = d.operatingSystem;
  if (typeof os !== 'string' || !(deviceOperatingSystems as readonly string[]).includes(os)) {
    throw badRequest(`The device's operatingSystem must be one of ${deviceOperatingSystems.join(', ')}.`, 'operatingSystem');
  }
  const mode = d.androidManagementMode ?? null;
  if (os === 'Android' && mode !== 'knox' && mode !== 'workProfile') {
    throw badRequest("An Android device needs androidManagementMode 'knox' or 'workProfile'.", 'androidManagementMode');
  }
  return {
    id: typeof d.id === 'string' ? d.id : previewGuid('offline-device', user.id, os).toLowerCase(),
    deviceName: typeof d.deviceName === 'string' ? d.deviceName : `${os} device`,
    operatingSystem: os as ManagedDevice['operatingSystem'],
    osVersion: typeof d.osVersion === 'string' ? d.osVersion : 'unknown',
    model: typeof d.model === 'string' ? d.model : null,
    androidManagementMode: os === 'Android' ? (mode as ManagedDevice['androidManagementMode']) : null,
    userId: user.id,
    enrolledDateTime: new Date(0).toISOString(),
    lastSyncDateTime: null,
  };
}
