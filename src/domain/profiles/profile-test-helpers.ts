import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isEnvelopeError } from '../errors.ts';
import type { Profile, ProfileDraft } from './profile.ts';
import { odataTypeOf, type ProfileType } from './profile-types.ts';

/** Test support for the profile model's tests (not a test file itself). */

const examplesDir = join(import.meta.dirname, '../../../test/fixtures/graph-examples');

/** The Graph documentation examples: `{ name: 'iosEasEmailProfileConfiguration.create', body }`. */
export function graphExamples(suffix: 'create' | 'update'): { type: ProfileType; body: Record<string, unknown> }[] {
  return readdirSync(examplesDir)
    .filter((file) => file.endsWith(`.${suffix}.json`))
    .sort()
    .map((file) => ({
      type: file.slice(0, -`.${suffix}.json`.length) as ProfileType,
      body: JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) as Record<string, unknown>,
    }));
}

/** A self-signed P-256 test root (`CN=Envelope Test Root`, valid until 2046), base64 DER. */
export const testRootCertificate =
  'MIIBjzCCATWgAwIBAgIUIaBoCu8rX0x2LeqtKw13yGCQarcwCgYIKoZIzj0EAwIwHTEbMBkGA1UEAwwSRW52ZWxvcGUgVGVzdCBSb290MB4XDTI2MTEyMjEzMzU1MFoXDTQ2MTExNzEzMzU1MFowHTEbMBkGA1UEAwwSRW52ZWxvcGUgVGVzdCBSb290MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhUvWSUSZXCU2Suo/FF3sr080SLUnm6yN2Q2HvKYrOJyi9hD06GlQ0qBMHkfVFJmdAp1+/FZvG2SldmMX+7U/uqNTMFEwHQYDVR0OBBYEFKtZkUVRj58Fu1f1xFkF7Nx0J/N5MB8GA1UdIwQYMBaAFKtZkUVRj58Fu1f1xFkF7Nx0J/N5MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAOOA7DuDe22T8matoqTtDl10L88cIW55a5KFQKQn0KMIAiA3XwEqs8qCuyzhcKFb4FGp9zwLUULbNru36s1zEpU2tA==';

export const bindUrl = (id: string) => `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${id}')`;

/** The smallest valid create body of each type (SCEP profiles link the trusted root `root-1`). */
export function minimalBody(type: ProfileType): Record<string, unknown> {
  const body: Record<string, unknown> = { '@odata.type': odataTypeOf(type), displayName: `Test ${type}` };
  if (type.endsWith('TrustedRootCertificate')) return { ...body, trustedRootCertificate: testRootCertificate };
  if (type.endsWith('ScepCertificateProfile')) {
    return {
      ...body,
      scepServerUrls: ['https://ndes.contoso.com/certsrv/mscep/mscep.dll'],
      'rootCertificate@odata.bind': bindUrl('root-1'),
    };
  }
  if (type.endsWith('PkcsCertificateProfile')) return body;
  if (type.startsWith('androidWorkProfile') || type.startsWith('androidForWork')) {
    return { ...body, hostName: 'mail.contoso.com' };
  }
  return { ...body, hostName: 'mail.contoso.com', accountName: 'Contoso mail' };
}

/** A stored profile made from a draft, as the store would return it. */
export function asProfile(draft: ProfileDraft, id = 'profile-1'): Profile {
  return {
    ...draft,
    id,
    version: 1,
    createdDateTime: '2025-01-01T00:00:00.000Z',
    lastModifiedDateTime: '2025-01-01T00:00:00.000Z',
  };
}

/** Runs `action` and asserts a 400 BadRequest whose target is `target` and whose message names it. */
export function assertBadRequest(action: () => unknown, target: string, ...messageParts: string[]): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(isEnvelopeError(error), `expected an EnvelopeError, got ${String(error)}`);
    assert.equal(error.code, 'BadRequest');
    assert.equal(error.status, 400);
    assert.equal(error.target, target, error.message);
    assert.ok(error.message.includes(target), `message should name ${target}: ${error.message}`);
    for (const part of messageParts) assert.ok(error.message.includes(part), `message should say "${part}": ${error.message}`);
    return true;
  });
}

/** Body keys that the representation does not echo: read-only, annotations and binds. */
export function isEchoedInput(key: string): boolean {
  const ignored = ['id', 'version', 'supportsScopeTags', 'createdDateTime', 'lastModifiedDateTime', 'applyOnlyToWindowsPhone81'];
  return !ignored.includes(key) && !key.startsWith('@odata.') && !key.endsWith('@odata.bind');
}
