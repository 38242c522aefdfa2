import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import { adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, startHttpsEnvelope, type HttpsEnvelope } from '../helpers/https-envelope.ts';
import { consolePages } from '../helpers/console-page.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { collectBrowserErrors, launchChromium, screenshot } from '../helpers/browser.ts';

/**
 * The profile page's properties editor in Chromium: changing the host of a deployed profile offers
 * the one-step replace with its dry run; confirmed by keyboard, a simulated iPhone ends with the new
 * profile succeeded. readOnly tokens see no write control.
 */
describe('replacing a profile through the console', () => {
  let testDb: TestDb;
  let server: HttpsEnvelope;
  let browser: Browser;
  let ui: ReturnType<typeof consolePages>;
  let iphone: SimulatedIphone;
  let admin: ReturnType<typeof adminHelpers>;
  let readOnlyToken: string;
  const seeded = { profileId: '', deviceId: '' };

  before(async () => {
    browser = await launchChromium();
    testDb = await openTestDb();
    const pki = await createE2ePki();
    server = await startHttpsEnvelope({ db: testDb.db, pki, secretKey: randomBytes(32), appleMdmOptions: { verifyDelayMs: 0 } });
    ui = consolePages(browser, server.origin);
    admin = adminHelpers(server.request);
    await admin.uploadPushCertificate(pki.push);
    const ca = await server.request('GET', '/graph/beta/envelope/certificateAuthority');
    const caPem = `-----BEGIN CERTIFICATE-----\n${(ca.body.certificate as string).match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    const ann = await admin.user('ann@contoso.com');
    const groupId = await admin.group('Sales', [ann]);
    seeded.profileId = await admin.mailProfile('Contoso mail', 'mail.contoso.com');
    await admin.assign(seeded.profileId, [groupId]);
    iphone = await enrollIphoneAt(await admin.enrollmentToken(ann), deviceHttpFor(pki), caPem);
    seeded.deviceId = await admin.managedDeviceIdOf(iphone.hardware.SerialNumber);
    assert.equal((await iphone.runCommandLoop()).ended, 'idle');
    readOnlyToken = (await server.envelope.services.tenants.createToken('default', 'readOnly')).token;
    const index = await server.envelope.app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200, 'console/dist is missing: `npm run build:console`');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await testDb?.dispose();
  });

  async function signedIn(token: string): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const errors = collectBrowserErrors(page);
    await page.goto(`${server.origin}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation').waitFor();
    return { page, errors };
  }

  it('readOnly tokens see no properties editor, resend or payload preview', async () => {
    const { page, errors } = await signedIn(readOnlyToken);
    await page.goto(`${server.origin}/profiles/${seeded.profileId}`);
    await ui.settle(page);
    assert.equal(await page.getByRole('form', { name: 'Profile properties' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /Resend/ }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Preview payload' }).count(), 0);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it('changes the host by keyboard, shows the dry run, replaces, and the iPhone ends with the new profile succeeded', async () => {
    const { page, errors } = await signedIn(server.adminToken);
    await page.goto(`${server.origin}/profiles/${seeded.profileId}`);
    await ui.settle(page);
    await page.getByRole('form', { name: 'Profile properties' }).waitFor();
    await ui.assertAccessible(page, 'profile page with properties editor');

    const host = page.getByLabel('Email server (hostName)');
    await host.focus();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('exchange.contoso.com');
    await ui.tabTo(page, 'Replace…');
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog', { name: 'Replace the profile' });
    await dialog.waitFor();
    await dialog.getByText(/would move 1 assignment/).waitFor();
    assert.match(await dialog.innerText(), /Devices removing the old account: 1/);
    assert.match(await dialog.innerText(), /Devices installing the new profile: 1/);
    await ui.assertAccessible(page, 'replace dialog');
    await screenshot(page, 'console-replace-dialog');

    await ui.tabTo(page, 'Replace');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname.startsWith('/profiles/') && !url.pathname.endsWith(seeded.profileId));
    await ui.settle(page);
    const newId = new URL(page.url()).pathname.split('/').pop()!;
    await page.getByText(/Replaces/).first().waitFor();

    assert.equal((await iphone.runCommandLoop()).ended, 'idle');
    const accounts = iphone.accounts().filter((a) => a.origin !== 'user').map((a) => a.host);
    assert.deepEqual(accounts, ['exchange.contoso.com']);
    assert.equal((await admin.deviceStatus(newId, seeded.deviceId)).status, 'compliant');

    await page.reload();
    await ui.settle(page);
    await page.getByText(/new profile installed on 1/).waitFor();
    await ui.assertAccessible(page, 'new profile page');
    await screenshot(page, 'console-replace-new-profile');

    // Payload preview for the user, and bulk resend of the shown rows.
    await page.getByLabel('Preview for user').selectOption({ label: 'ann@contoso.com (ann@contoso.com)' });
    await page.getByRole('button', { name: 'Preview payload' }).click();
    await page.getByLabel('Payload', { exact: true }).waitFor();
    assert.match(await page.getByLabel('Payload', { exact: true }).innerText(), /exchange\.contoso\.com/);
    await page.getByRole('button', { name: 'Resend to 1 shown' }).click();
    await page.getByText(/Resend requested for 0 device/).waitFor();
    await screenshot(page, 'console-replace-preview');

    // A setting that may change in place is saved in place: the new profile's version goes up, no replace.
    await page.getByLabel('accountName').fill('Contoso Exchange');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/^Saved\./).waitFor();
    const saved = await server.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${newId}`);
    assert.deepEqual([saved.body.accountName, saved.body.version, saved.body.hostName], ['Contoso Exchange', 2, 'exchange.contoso.com']);
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
