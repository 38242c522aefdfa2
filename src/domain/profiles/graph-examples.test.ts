import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import {
  checkProfileLinks,
  emailProfileTypes,
  linkedIdsOf,
  parseProfileCreate,
  parseProfilePatch,
  profileToGraph,
  type ProfileType,
} from './index.ts';
import { asProfile, graphExamples, isEchoedInput, minimalBody } from './profile-test-helpers.ts';
import { bindKeyOf, parseBindOrThrow } from './odata-bind.ts';
import { navigationProperties } from './profile-types.ts';

/** Extended key usages come back without the `@odata.type` Graph's examples put on each element. */
function withoutItemTypes(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  return value.map((item: unknown) => {
    if (item === null || typeof item !== 'object') return item;
    const { '@odata.type': _dropped, ...rest } = item as Record<string, unknown>;
    return rest;
  });
}

const emailTypes: readonly ProfileType[] = emailProfileTypes;

describe("Microsoft's documented Graph examples", () => {
  it('cover the create and update example of every email profile type', () => {
    assert.deepEqual(graphExamples('create').map((e) => e.type).filter((t) => emailTypes.includes(t)).sort(), [...emailTypes].sort());
    assert.deepEqual(graphExamples('update').map((e) => e.type).sort(), [...emailTypes].sort());
  });

  for (const { type, body } of graphExamples('create')) {
    it(`parse the ${type} create example and return every property it sent`, () => {
      const profile = asProfile(parseProfileCreate(body));
      const graph = profileToGraph(profile);
      assert.equal(graph['@odata.type'], `#microsoft.graph.${type}`);
      for (const [key, value] of Object.entries(body)) {
        if (!isEchoedInput(key)) continue;
        assert.deepEqual(graph[key], withoutItemTypes(value), key);
      }
      for (const nav of navigationProperties) {
        const sent = body[bindKeyOf(nav)];
        assert.equal(profile.links[nav], sent === undefined ? null : parseBindOrThrow(nav, sent), nav);
      }
    });
  }

  for (const { type, body } of graphExamples('update')) {
    it(`apply the ${type} update example as a PATCH to a profile that differs from it`, () => {
      const create = graphExamples('create').find((example) => example.type === type);
      assert.ok(create);
      // A minimal profile with the example's certificate links, so every setting the update sends can change.
      const binds = Object.fromEntries(Object.entries(create.body).filter(([key]) => key.endsWith('@odata.bind')));
      const existing = asProfile(
        parseProfileCreate({
          ...minimalBody(type),
          ...binds,
          ...(binds['identityCertificate@odata.bind'] ? { authenticationMethod: 'certificate' } : {}),
          ...(binds['smimeSigningCertificate@odata.bind'] ? { requireSmime: true } : {}),
        }),
      );
      const before = profileToGraph(existing);
      const patched = asProfile(parseProfilePatch(existing, body), existing.id);
      const graph = profileToGraph(patched);
      const echoed = Object.keys(body).filter(isEchoedInput);
      assert.ok(echoed.some((key) => !isDeepStrictEqual(before[key], body[key])), 'the example should change something');
      for (const key of echoed) assert.deepEqual(graph[key], body[key], key);
      assert.deepEqual(patched.links, existing.links);
    });
  }

  it('link only certificates of the same platform family when those certificates exist', () => {
    const certificateTypes = new Map<string, ProfileType>([
      ['1b7d5a4e-0c2f-4e8a-9b61-3f0d2c9e7a01', 'iosScepCertificateProfile'],
      ['2c8e6b5f-1d30-4f9b-8c72-4a1e3d0f8b12', 'iosPkcsCertificateProfile'],
      ['3d9f7c60-2e41-40ac-9d83-5b2f4e109c23', 'iosPkcsCertificateProfile'],
      ['4ea08d71-3f52-41bd-8e94-6c3050210d34', 'iosTrustedRootCertificate'],
    ]);
    for (const type of ['iosEasEmailProfileConfiguration', 'iosScepCertificateProfile'] as const) {
      const example = graphExamples('create').find((e) => e.type === type);
      assert.ok(example);
      const draft = parseProfileCreate(example.body);
      assert.ok(linkedIdsOf(draft.links).length > 0);
      checkProfileLinks(draft, certificateTypes);
    }
  });
});
