import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerConsoleRoutes } from '../../src/http/console.ts';
import { consolePages } from '../../console/src/pages.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

describe('the console files Envelope serves at /', () => {
  let dir: string;
  let app: FastifyInstance;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'envelope-console-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/assets/index-AbC123.js"></script>');
    writeFileSync(path.join(dir, 'assets', 'index-AbC123.js'), 'console.log(1);');
    writeFileSync(path.join(dir, 'assets', 'index-AbC123.css'), 'body{}');
    app = Fastify();
    await app.register((scope) => registerConsoleRoutes(scope, dir));
  });
  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers index.html, never cached, with a content security policy, at / and at every client route', async () => {
    for (const url of ['/', ...consolePages.map((p) => `/${p}`), '/profiles/1b6f9d2e-0000-4000-8000-000000000000', '/groups/x/members']) {
      const reply = await app.inject({ method: 'GET', url });
      assert.equal(reply.statusCode, 200, url);
      assert.match(String(reply.headers['content-type']), /^text\/html/, url);
      assert.equal(reply.headers['cache-control'], 'no-cache', url);
      assert.match(String(reply.headers['content-security-policy']), /script-src 'self'/);
      assert.match(reply.body, /<title>console<\/title>/);
    }
  });

  it('serves hashed assets with their content type, cached for a year', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-AbC123.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(String(js.headers['cache-control']), /max-age=31536000.*immutable|immutable.*max-age=31536000/);
    const css = await app.inject({ method: 'GET', url: '/assets/index-AbC123.css' });
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  it('answers 404 for a missing asset and refuses paths out of the folder', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/assets/nothing-here.js' })).statusCode, 404);
    for (const url of ['/assets/../index.html', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/%2e%2e/etc/passwd']) {
      const reply = await app.inject({ method: 'GET', url });
      assert.ok(reply.statusCode >= 400 || !reply.body.includes('root:'), `${url} → ${reply.statusCode}`);
      assert.doesNotMatch(reply.body, /"name": "envelope"/);
    }
  });

  it('without a build, says so on a page of its own (503) instead of a blank screen', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'envelope-console-empty-'));
    const bare = Fastify();
    await bare.register((scope) => registerConsoleRoutes(scope, empty));
    try {
      for (const url of ['/', '/profiles']) {
        const reply = await bare.inject({ method: 'GET', url });
        assert.equal(reply.statusCode, 503);
        assert.match(String(reply.headers['content-type']), /^text\/html/);
        assert.match(reply.body, /console is not built/);
        assert.match(reply.body, /npm install/);
      }
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the console beside the API in a whole Envelope', () => {
  let app: TestApp;
  before(async () => {
    app = await createTestApp();
  });
  after(async () => app.close());

  it('leaves the API, device, docs, health and metrics routes and the Graph 404 as they were', async () => {
    const graph = await app.request('GET', '/graph/beta/users', { token: null });
    assert.equal(graph.status, 401);
    assert.match(String(graph.raw.headers['content-type']), /json/);
    const health = await app.request('GET', '/healthz', { token: null });
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.equal((await app.request('GET', '/metrics', { token: null })).status, 401);
    assert.equal((await app.request('GET', '/openapi.json', { token: null })).status, 200);
    const docs = await app.request('GET', '/docs/', { token: null });
    assert.ok(docs.status === 200 || docs.status === 302, String(docs.status));
    const unknown = await app.request('GET', '/no-such-page', { token: null });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'ResourceNotFound');
    const mdm = await app.request('GET', '/mdm/apple/nothing', { token: null });
    assert.equal(mdm.status, 404);
    assert.match(String(mdm.raw.headers['content-type']), /json/);
  });

  it('GET /envelope/currentToken tells a token its role, and nobody without one', async () => {
    const admin = await app.request('GET', '/graph/beta/envelope/currentToken');
    assert.equal(admin.status, 200);
    assert.equal(admin.body.role, 'admin');
    assert.equal(typeof admin.body.id, 'string');
    assert.ok(!JSON.stringify(admin.body).includes(app.adminToken), 'never the token value');
    const readOnly = await app.request('GET', '/graph/beta/envelope/currentToken', { token: await app.readOnlyToken() });
    assert.equal(readOnly.status, 200);
    assert.equal(readOnly.body.role, 'readOnly');
    assert.equal((await app.request('GET', '/graph/beta/envelope/currentToken', { token: null })).status, 401);
    assert.equal((await app.request('GET', '/graph/beta/envelope/currentToken', { token: 'env_not_a_token_at_all_xxxxxxxx' })).status, 401);
  });
});
