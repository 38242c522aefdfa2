import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('health, metrics and the OpenAPI document', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  it('reports health with the database kind and no token', async () => {
    const reply = await t.request('GET', '/healthz', { token: null });
    assert.equal(reply.status, 200);
    assert.equal(reply.body.status, 'ok');
    assert.ok(['pglite', 'postgres'].includes(reply.body.database));
    const ready = await t.request('GET', '/readyz', { token: null });
    assert.deepEqual([ready.status, ready.body], [200, reply.body]);
    const live = await t.request('GET', '/livez', { token: null });
    assert.deepEqual([live.status, live.body], [200, { status: 'ok' }]);
  });

  it('serves Prometheus metrics with request durations to a token holder only', async () => {
    await t.request('GET', '/graph/beta/users');
    assert.equal((await t.request('GET', '/metrics', { token: null })).status, 401);
    const reply = await t.request('GET', '/metrics');
    assert.equal(reply.status, 200);
    assert.match(reply.raw.headers['content-type'] as string, /text\/plain/);
    assert.match(reply.body, /envelope_http_request_duration_seconds_count\{method="GET",route="\/graph\/beta\/users",status="200"\} \d+/);
    assert.match(reply.body, /envelope_process_resident_memory_bytes/);
  });

  it('describes every Graph route in /openapi.json, with the profile and assign bodies', async () => {
    const reply = await t.request('GET', '/openapi.json', { token: null });
    assert.equal(reply.status, 200);
    const doc = reply.body;
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/graph/beta/users', '/graph/beta/users/{id}', '/graph/beta/groups/{id}/members/$ref',
      '/graph/beta/deviceManagement/managedDevices', '/graph/beta/deviceManagement/deviceConfigurations',
      '/graph/beta/deviceManagement/deviceConfigurations/{id}/assign',
      '/graph/beta/deviceManagement/deviceConfigurations/{id}/getTargetedUsersAndDevices',
    ]) {
      assert.ok(doc.paths[path], `missing ${path}`);
    }
    const create = doc.paths['/graph/beta/deviceManagement/deviceConfigurations'].post;
    assert.ok(JSON.stringify(create.requestBody).includes('iosEasEmailProfileConfiguration'));
    const assign = doc.paths['/graph/beta/deviceManagement/deviceConfigurations/{id}/assign'].post;
    assert.ok(JSON.stringify(assign.requestBody).includes('exclusionGroupAssignmentTarget'));
  });

  it('serves a browsable docs page', async () => {
    const reply = await t.request('GET', '/docs/', { token: null });
    assert.equal(reply.status, 200);
    assert.match(reply.body, /swagger/i);
  });

  it('answers unknown routes with a Graph-shaped 404', async () => {
    const reply = await t.request('GET', '/graph/beta/nothingHere');
    assert.equal(reply.status, 404);
    assert.equal(reply.body.error.code, 'ResourceNotFound');
  });
});
