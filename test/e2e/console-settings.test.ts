import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createE2ePki, startHttpsEnvelope, type HttpsEnvelope } from '../helpers/https-envelope.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { launchChromium, screenshot } from '../helpers/browser.ts';
import { consolePages } from '../helpers/console-page.ts';

/**
 * Settings → API tokens and console accounts, in Chromium against a real Envelope: an admin issues a
 * token by keyboard (shown once, works at once), revokes it (refused at once), adds a console account
 * that can then sign in; a readOnly token sees neither form.
 */
/** Settings reads the push settings; this server has none set up, which the API answers 404 (the page says "Not set up"). */
const notSetUp = [/\/envelope\/(windowsPushSettings|applePushCertificate)$/];

describe('console settings: API tokens and console accounts in Chromium', () => {
  let testDb: TestDb;
  let server: HttpsEnvelope;
  let browser: Browser;
  let pages: ReturnType<typeof consolePages>;
  let readOnlyToken: string;

  before(async () => {
    browser = await launchChromium();
    testDb = await openTestDb();
    server = await startHttpsEnvelope({ db: testDb.db, pki: await createE2ePki(), secretKey: randomBytes(32) });
    pages = consolePages(browser, server.origin, { tabMatch: 'prefix' });
    readOnlyToken = (await server.envelope.services.tenants.createToken('default', 'readOnly', 'auditor')).token;
  });

  /** The status a Graph read gets with `token`. */
  async function statusWith(token: string): Promise<number> {
    return (await server.envelope.app.inject({ method: 'GET', url: '/graph/beta/users', headers: { authorization: `Bearer ${token}` } })).statusCode;
  }
  after(async () => {
    await browser?.close();
    await server?.close();
    await testDb?.dispose();
  });

  it('issues an API token by keyboard, shows it once, the token works, and Revoke refuses it at once', async () => {
    const { context, page, errors } = await pages.newPage(notSetUp);
    try {
      await pages.signIn(page, server.adminToken);
      await pages.open(page, '/settings');
      await pages.tabTo(page, 'Label (who uses it)');
      await page.keyboard.type('Reporting job');
      await pages.tabTo(page, 'Expires after', 1);
      await page.keyboard.type('30');
      await page.keyboard.press('Enter');
      const shown = page.getByTestId('issued-api-token');
      await shown.waitFor();
      const token = (await shown.innerText()).trim();
      assert.equal(await statusWith(token), 200, 'the issued token works at once');

      const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'Reporting job' });
      await row.waitFor();
      assert.match(await row.innerText(), /Read only[\s\S]*Active[\s\S]*Never/);
      assert.ok(!(await page.getByRole('table', { name: 'API tokens' }).innerText()).includes(token), 'the table never shows a value');
      await pages.assertAccessible(page, 'settings with an issued token');
      await screenshot(page, 'settings-api-tokens');

      await row.getByRole('button', { name: /Revoke the Read only token Reporting job/ }).press('Enter');
      await page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: 'Reporting job' }).filter({ hasText: 'Revoked' }).waitFor();
      assert.equal(await statusWith(token), 401, 'revoked at once');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('shows the API message for a bad expiry and issues nothing', async () => {
    const { context, page, errors } = await pages.newPage([...notSetUp, /\/envelope\/apiTokens$/]);
    try {
      await pages.signIn(page, server.adminToken);
      await pages.open(page, '/settings');
      const before = (await server.request('GET', '/graph/beta/envelope/apiTokens')).body.value.length;
      await page.getByLabel('Expires after (days; empty: never)').fill('0');
      await page.getByRole('button', { name: 'Issue token' }).press('Enter');
      await page.getByText(/expirationDays must be a whole number of days from 1 to/).waitFor();
      assert.equal((await server.request('GET', '/graph/beta/envelope/apiTokens')).body.value.length, before);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('adds a console account by keyboard that can then sign in, and deletes it', async () => {
    const { context, page, errors } = await pages.newPage(notSetUp);
    try {
      await pages.signIn(page, server.adminToken);
      await pages.open(page, '/settings');
      await pages.tabTo(page, 'User name');
      await page.keyboard.type('helpdesk');
      await pages.tabTo(page, 'Password', 3);
      await page.keyboard.type('a long console password');
      await page.keyboard.press('Enter');
      await page.getByText(/Account helpdesk created/).waitFor();
      const row = page.getByRole('table', { name: 'Console accounts' }).getByRole('row').filter({ hasText: 'helpdesk' });
      assert.match(await row.innerText(), /Read only[\s\S]*Never/);
      await pages.assertAccessible(page, 'settings with a console account');
      await screenshot(page, 'settings-console-accounts');

      const session = await server.envelope.app.inject({ method: 'POST', url: '/graph/beta/envelope/consoleSession', payload: { userName: 'helpdesk', password: 'a long console password' } });
      assert.equal(session.statusCode, 200, session.body);
      assert.equal(session.json().role, 'readOnly');

      await row.getByRole('button', { name: 'Delete the console account helpdesk' }).press('Enter');
      await page.getByText(/Account helpdesk deleted/).waitFor();
      assert.equal(await statusWith(session.json().token), 401, 'its session ended');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('creates a company portal link for a user on the Enrollment page (shown once, it opens the portal) and revokes it', async () => {
    const user = await server.envelope.app.inject({
      method: 'POST', url: '/graph/beta/users', headers: { authorization: `Bearer ${server.adminToken}` }, payload: { displayName: 'Pat Portal', userPrincipalName: 'pat@contoso.com' },
    });
    assert.equal(user.statusCode, 201, user.body);
    const { context, page, errors } = await pages.newPage();
    try {
      await pages.signIn(page, server.adminToken);
      await pages.open(page, '/enrollment');
      await page.getByLabel('Employee').selectOption({ label: 'Pat Portal (pat@contoso.com)' });
      await page.getByRole('button', { name: 'Create portal link' }).press('Enter');
      const url = (await page.getByTestId('portal-url').innerText()).trim();
      assert.match(url, /\/portal#t=ptl_/);
      const secret = url.slice(url.indexOf('#t=') + 3);
      const me = await server.envelope.app.inject({ method: 'GET', url: '/portal/api/me', headers: { authorization: `Bearer ${secret}` } });
      assert.equal(me.statusCode, 200, me.body);
      const row = page.getByRole('table', { name: 'Portal links of pat@contoso.com' }).getByRole('row').filter({ hasText: 'Active' });
      await row.waitFor();
      await pages.assertAccessible(page, 'enrollment with a portal link');
      await screenshot(page, 'enrollment-portal-link');
      await row.getByRole('button', { name: /Revoke the portal link of pat@contoso.com/ }).press('Enter');
      await page.getByRole('table', { name: 'Portal links of pat@contoso.com' }).getByRole('row').filter({ hasText: 'Revoked' }).waitFor();
      const after = await server.envelope.app.inject({ method: 'GET', url: '/portal/api/me', headers: { authorization: `Bearer ${secret}` } });
      assert.equal(after.statusCode, 401, 'revoked at once');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('a readOnly token sees the console accounts but no token list and no form', async () => {
    const { context, page, errors } = await pages.newPage(notSetUp);
    try {
      await pages.signIn(page, readOnlyToken);
      await pages.open(page, '/settings');
      await page.getByText('Only admins see and manage API tokens').waitFor();
      assert.equal(await page.getByRole('form').count(), 0);
      assert.equal(await page.getByRole('button', { name: /Issue token|Add account|Revoke|Delete/ }).count(), 0);
      await page.getByRole('table', { name: 'Console accounts' }).waitFor();
      await pages.assertAccessible(page, 'settings, readOnly');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
