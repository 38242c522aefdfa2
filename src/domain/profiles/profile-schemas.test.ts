import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Compile } from 'typebox/compile';
import {
  deviceConfigurationSchema,
  parseProfileCreate,
  profilePatchSchemas,
  profileSchemas,
  profileSchemasByOdataType,
  profileToGraph,
  profileTypes,
} from './index.ts';
import { viewOf } from './schema-kit.ts';
import { asProfile, minimalBody } from './profile-test-helpers.ts';

describe('profile schemas', () => {
  it('exist for every profile type, keyed by type and by @odata.type', () => {
    assert.deepEqual(Object.keys(profileSchemas).sort(), [...profileTypes].sort());
    for (const type of profileTypes) {
      assert.equal(profileSchemasByOdataType[`#microsoft.graph.${type}`], profileSchemas[type]);
    }
    assert.equal(viewOf(deviceConfigurationSchema).anyOf?.length, profileTypes.length);
  });

  it('are closed and mark server-set properties read-only and binds write-only', () => {
    for (const type of profileTypes) {
      for (const schema of [profileSchemas[type], profilePatchSchemas[type]]) {
        assert.equal((schema as { additionalProperties?: unknown }).additionalProperties, false, type);
        const properties = viewOf(schema).properties ?? {};
        for (const key of ['id', 'version', 'createdDateTime', 'lastModifiedDateTime', 'supportsScopeTags']) {
          assert.equal(properties[key]?.readOnly, true, `${type}.${key}`);
        }
        for (const key of Object.keys(properties).filter((k) => k.endsWith('@odata.bind'))) {
          assert.equal(properties[key]?.writeOnly, true, `${type}.${key}`);
        }
      }
    }
  });

  it('require @odata.type and displayName on create but nothing on PATCH', () => {
    for (const type of profileTypes) {
      assert.ok(viewOf(profileSchemas[type]).required?.includes('displayName'), type);
      assert.ok(viewOf(profileSchemas[type]).required?.includes('@odata.type'), type);
      assert.equal(viewOf(profilePatchSchemas[type]).required, undefined, type);
    }
  });

  it('describe the responses: profileToGraph output validates against its type’s schema', () => {
    for (const type of profileTypes) {
      const graph = profileToGraph(asProfile(parseProfileCreate(minimalBody(type))));
      const validator = Compile(profileSchemas[type]);
      assert.ok(validator.Check(graph), `${type}: ${JSON.stringify(validator.Errors(graph)[0])}`);
    }
  });

  it('carry no JSON Schema defaults, which Ajv would inject into PATCH bodies', () => {
    const json = JSON.stringify(profilePatchSchemas);
    assert.equal(json.includes('"default"'), false);
  });
});
