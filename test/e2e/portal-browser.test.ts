import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import {
  adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, startApnsStandIn, startHttpsEnvelope, wakeOnPush,
  type ApnsStandIn, type HttpsEnvelope,
} from '../helpers/https-envelope.ts';
import { consolePages } from '../helpers/console-page.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { collectBrowserErrors, launchChromium, screenshot } from '../helpers/browser.ts';

/**
 * The company portal in a real browser (Debian's Chromium through playwright-core) against a real
 * Envelope over HTTPS with an APNs stand-in: simulated iPhones whose users made the same Exchange
 * account themselves are blocked; the user opens the personal link the admin issued, sees what to
 * do, removes the account, asks the device to check again, and the page shows it resolved while
 * the admin's alert count drops.
 */
describe('the company portal in Chromium', () => {
  let testDb: TestDb;
  let standIn: ApnsStandIn;
  let server: HttpsEnvelope;
  let browser: Browser;
  let ui: ReturnType<typeof consolePages>;
  let admin: ReturnType<typeof adminHelpers>;
  let stopWaking: () => void;
  const iphones: SimulatedIphone[] = [];
  const host = 'mail.contoso.com';
  let ann: { userId: string; deviceId: string; iphone: SimulatedIphone; deviceName: string };
  let profileId: string;

  async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function duplicateAlertCount(): Promise<number> {
    const alerts = await server.request('GET', '/graph/beta/envelope/alerts');
    assert.equal(alerts.status, 200, JSON.stringify(alerts.body));
    return (alerts.body.value as { kind: string; affectedCount: number }[]).find((a) => a.kind === 'duplicateAccountBlocks')?.affectedCount ?? 0;
  }

  /** The profile's reason code on the device, or null before it has a status row there. */
  async function reasonOn(deviceId: string): Promise<string | null> {
    const rows = (await server.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/deviceStatuses`)).body.value as { id: string; reasonCode: string }[];
    return rows.find((r) => r.id.endsWith(deviceId))?.reasonCode ?? null;
  }

  before(async () => {
    browser = await launchChromium();
    testDb = await openTestDb();
    const pki = await createE2ePki();
    standIn = await startApnsStandIn(pki);
    server = await startHttpsEnvelope({ db: testDb.db, pki, secretKey: randomBytes(32), apnsUrl: standIn.url, appleMdmOptions: { verifyDelayMs: 0 } });
    ui = consolePages(browser, server.origin);
    admin = adminHelpers(server.request);
    await admin.uploadPushCertificate(pki.push);
    stopWaking = wakeOnPush(standIn, () => iphones);
    const ca = await server.request('GET', '/graph/beta/envelope/certificateAuthority');
    const caPem = `-----BEGIN CERTIFICATE-----\n${(ca.body.certificate as string).match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

    // Ann and Cid each made the company account on their iPhone by hand before the profile came.
    const users = [];
    for (const name of ['ann', 'cid']) {
      const userId = await admin.user(`${name}@contoso.com`);
      const iphone = await enrollIphoneAt(await admin.enrollmentToken(userId), deviceHttpFor(pki), caPem);
      iphones.push(iphone);
      const deviceId = await admin.managedDeviceIdOf(iphone.hardware.SerialNumber);
      await iphone.wake();
      iphone.addUserAccount(host, `${name}@contoso.com`);
      users.push({ userId, deviceId, iphone });
    }
    const groupId = await admin.group('Sales', users.map((u) => u.userId));
    profileId = await admin.mailProfile('Contoso mail', host);
    await admin.assign(profileId, [groupId]);
    for (const user of users) {
      await eventually('the profile is blocked by the user-made account', async () => (await reasonOn(user.deviceId)) === 'duplicateAccount');
    }
    const annDevice = await server.request('GET', `/graph/beta/deviceManagement/managedDevices/${users[0]!.deviceId}`);
    ann = { ...users[0]!, deviceName: annDevice.body.deviceName };
    const index = await server.envelope.app.inject({ method: 'GET', url: '/portal' });
    assert.equal(index.statusCode, 200, 'console/dist/portal.html is missing: `npm install` builds it (or `npm run build:console`)');
  });
  after(async () => {
    stopWaking?.();
    await browser?.close();
    await server?.close();
    await standIn?.close();
    await testDb?.dispose();
  });

  async function newPage(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
    const page = await context.newPage();
    return { context, page, errors: collectBrowserErrors(page) };
  }

  function deviceCard(page: Page) {
    return page.getByRole('region', { name: ann.deviceName });
  }

  it('without a personal link, says to open the one the IT department sent', async () => {
    const { context, page, errors } = await newPage();
    try {
      await page.goto(`${server.origin}/portal`);
      await page.getByText('Open your personal link').waitFor();
      await ui.assertAccessible(page, 'portal without link');
      await screenshot(page, 'portal-no-link');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('shows the blocked iPhone with the fix; after the user removes the account and checks again, it shows it resolved and the alert drops', async () => {
    assert.equal(await duplicateAlertCount(), 2, "the admin's alert counts both blocked iPhones");
    const issued = await server.request('POST', `/graph/beta/users/${ann.userId}/envelope/portalLink`, {});
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    assert.ok((issued.body.url as string).startsWith(`${server.origin}/portal#t=ptl_`));

    const { context, page, errors } = await newPage();
    try {
      await page.goto(issued.body.url);
      await page.getByRole('heading', { level: 1, name: 'Your devices' }).waitFor();
      await deviceCard(page).waitFor();
      assert.equal(new URL(page.url()).hash, '', 'the secret is taken out of the address bar');
      const card = deviceCard(page);
      assert.equal(await card.getByText('Action needed').count() >= 1, true);
      await card.getByText('Open Settings, then Mail, then Accounts.').waitFor();
      await card.getByText(`Tap the account 'ann@contoso.com' (server ${host}) that you added yourself and choose Delete Account.`).waitFor();
      await card.getByText(/Remove the account you added yourself/).waitFor();
      assert.equal(await page.getByRole('region', { name: /iPhone/ }).count(), 1, "only Ann's device is shown");
      await ui.assertAccessible(page, 'portal, blocked');
      await screenshot(page, 'portal-blocked');

      // The user deletes the account in Settings, then asks, by keyboard, for a check.
      ann.iphone.removeUserAccount(host, 'ann@contoso.com');
      await card.getByRole('button', { name: /Check again/ }).focus();
      await page.keyboard.press('Enter');
      await page.getByText(/was asked to check in/).waitFor();
      await card.getByText('Ready', { exact: true }).first().waitFor({ timeout: 30_000 });
      assert.equal(await card.getByText('Company email is set up on this device.').count(), 1);
      assert.equal(ann.iphone.accounts().filter((a) => a.origin !== 'user').length, 1, 'the company account is on the iPhone');
      assert.equal((await admin.deviceStatus(profileId, ann.deviceId)).status, 'compliant');
      assert.equal(await duplicateAlertCount(), 1, 'the alert now counts only the other iPhone');

      // A reload keeps the tab's session and still shows it resolved.
      await page.reload();
      await deviceCard(page).getByText('Ready', { exact: true }).first().waitFor();
      await ui.assertAccessible(page, 'portal, resolved');
      await screenshot(page, 'portal-resolved');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('gives an enrollment link for a new device, works on a phone-sized screen, and refuses a revoked link', async () => {
    const issued = await server.request('POST', `/graph/beta/users/${ann.userId}/envelope/portalLink`, {});
    const { context, page, errors } = await newPage({ width: 390, height: 844 });
    try {
      await page.goto(issued.body.url);
      await deviceCard(page).waitFor();
      await page.getByRole('radio', { name: 'Windows PC' }).check();
      await page.getByRole('button', { name: 'Get an enrollment link' }).click();
      await page.getByText('Your enrollment link').waitFor();
      await page.getByText(/Enroll only in device management/).waitFor();
      await page.getByRole('radio', { name: 'iPhone or iPad' }).check();
      await page.getByRole('button', { name: 'Get an enrollment link' }).click();
      await page.getByRole('link', { name: /\/mdm\/apple\/enroll\?token=enr_/ }).waitFor();
      const width = await page.evaluate<number>('document.documentElement.scrollWidth');
      assert.ok(width <= 390, `no horizontal scrolling on a phone (${width}px)`);
      await ui.assertAccessible(page, 'portal, phone');
      await screenshot(page, 'portal-phone');
      const tokens = await server.request('GET', `/graph/beta/envelope/enrollmentTokens?$filter=userId eq ${ann.userId}`);
      assert.equal(tokens.body.value.filter((t: { platform: string; maxDevices: number }) => t.maxDevices === 1 && (t.platform === 'Windows' || t.platform === 'iOS')).length >= 2, true);

      assert.equal((await server.request('DELETE', `/graph/beta/users/${ann.userId}/envelope/portalLinks/${issued.body.id}`)).status, 204);
      const refused = collectBrowserErrors(page);
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByText('This link no longer works').waitFor();
      await page.getByText(/revoked/).waitFor();
      assert.ok(refused.every((e) => /401/.test(e)), refused.join('\n'));
      assert.deepEqual(errors.filter((e) => !/401/.test(e)), []);
    } finally {
      await context.close();
    }
  });
});
