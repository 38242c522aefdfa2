import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * The OpenAPI document is good enough for code generators (Kiota, openapi-generator): Redocly's
 * `recommended` ruleset finds nothing, and every operation has a unique operationId. Device-protocol
 * endpoints that answer in their protocol's own format (Apple plists, Windows SOAP and SyncML) and
 * the health checks are exempt from "has a 4XX response" only.
 */
describe('the OpenAPI document under a well-known linter', () => {
  let t: TestApp;
  let document: { paths: Record<string, Record<string, { operationId?: string }>>; servers?: unknown[]; info: { license?: unknown } };
  before(async () => {
    t = await createTestApp();
    document = (await t.request('GET', '/openapi.json', { token: null })).body;
  });
  after(() => t.close());

  const exempt4xx = /^#\/paths\/~1(readyz|healthz|livez|mdm~1apple~1|EnrollmentServer~1|ManagementServer~1)/;

  it('passes Redocly recommended', async () => {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config });
    const remaining = problems.filter((p) => !(p.ruleId === 'operation-4xx-response' && exempt4xx.test(p.location[0]?.pointer ?? '')));
    assert.deepEqual(remaining.map((p) => `${p.severity} ${p.ruleId}: ${p.message} ${p.location[0]?.pointer ?? ''}`), []);
  });

  it('names every operation, uniquely, and says where the server is and under which licence', () => {
    const ids = Object.values(document.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    assert.ok(ids.length > 50);
    assert.ok(ids.every((id) => typeof id === 'string' && /^[a-z]+[A-Za-z0-9]+$/.test(id)), ids.join(' '));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.includes('getDeviceManagementDeviceConfigurationsByIdAssignments'));
    assert.deepEqual(document.servers, [{ url: 'https://envelope.test', description: 'ENVELOPE_PUBLIC_URL' }]);
    assert.deepEqual(document.info.license, { name: 'MIT', identifier: 'MIT' });
  });
});
