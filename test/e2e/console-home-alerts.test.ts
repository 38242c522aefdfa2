import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, startHttpsEnvelope, type HttpsEnvelope } from '../helpers/https-envelope.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { axeViolations, collectBrowserErrors, launchChromium, screenshot } from '../helpers/browser.ts';

/** The little of the page's globals that functions run in it use (the type-check has no DOM types). */
interface InPage {
  document: { querySelector(selector: string): unknown; querySelectorAll(selector: string): { length: number } };
}

const password = 'console account password';
const extraUsers = 60;

/**
 * The console's home alerts, alert page, Certificates page, server paging and console-account
 * sign-in, in Chromium against a real Envelope: an iPhone whose user made the same Exchange account
 * by hand (the simulator) raises the duplicate-account alert; more users than one page make the
 * Users table page with Load more.
 */
describe('console home alerts, certificates, paging and console accounts in Chromium', () => {
  let testDb: TestDb;
  let server: HttpsEnvelope;
  let browser: Browser;
  const seeded = { deviceId: '', deviceName: '', userUpn: 'ann@contoso.com' };

  before(async () => {
    browser = await launchChromium();
    testDb = await openTestDb();
    const pki = await createE2ePki();
    server = await startHttpsEnvelope({ db: testDb.db, pki, secretKey: randomBytes(32), appleMdmOptions: { verifyDelayMs: 0 } });
    const admin = adminHelpers(server.request);
    await admin.uploadPushCertificate(pki.push);
    const ca = await server.request('GET', '/graph/beta/envelope/certificateAuthority');
    const caPem = `-----BEGIN CERTIFICATE-----\n${(ca.body.certificate as string).match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;

    const ann = await admin.user(seeded.userUpn);
    const group = await admin.group('Sales', [ann]);
    const profileId = await admin.mailProfile('Contoso mail', 'mail.contoso.com');
    await admin.assign(profileId, [group]);
    // A PKCS identity that an (unassigned) email profile authenticates with: the Certificates page shows the link.
    const pkcs = await server.request('POST', '/graph/beta/deviceManagement/deviceConfigurations', {
      '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'Mail identity', subjectAlternativeNameType: 'userPrincipalName',
    });
    assert.equal(pkcs.status, 201, JSON.stringify(pkcs.body));
    await admin.mailProfile('Certificate mail', 'mail.contoso.com', {
      authenticationMethod: 'certificate', 'identityCertificate@odata.bind': `https://graph.microsoft.com/beta/deviceManagement/deviceConfigurations('${pkcs.body.id}')`,
    });
    const iphone = await enrollIphoneAt(await admin.enrollmentToken(ann), deviceHttpFor(pki), caPem);
    // Ann added the same Exchange account by hand: iOS refuses the profile's (accountNotUnique).
    iphone.addUserAccount('mail.contoso.com', seeded.userUpn);
    seeded.deviceId = await admin.managedDeviceIdOf(iphone.hardware.SerialNumber);
    const report = await iphone.runCommandLoop();
    assert.equal(report.ended, 'idle', JSON.stringify(report));
    const alerts = (await server.request('GET', '/graph/beta/envelope/alerts')).body.value as { kind: string; affectedCount: number }[];
    assert.equal(alerts.find((a) => a.kind === 'duplicateAccountBlocks')?.affectedCount, 1, JSON.stringify(alerts));
    seeded.deviceName = (await server.request('GET', `/graph/beta/deviceManagement/managedDevices/${seeded.deviceId}`)).body.deviceName;

    // More users than one page of the console's tables (50).
    for (let i = 0; i < extraUsers; i++) await admin.user(`user${String(i).padStart(2, '0')}@contoso.com`);
    for (const [userName, role] of [['alice', 'admin'], ['helpdesk', 'readOnly']]) {
      const created = await server.request('POST', '/graph/beta/envelope/consoleAccounts', { userName, role, password });
      assert.equal(created.status, 201, JSON.stringify(created.body));
    }
    const index = await server.envelope.app.inject({ method: 'GET', url: '/' });
    assert.equal(index.statusCode, 200, 'console/dist is missing: `npm install` builds it (or `npm run build:console`)');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await testDb?.dispose();
  });

  async function newPage(expectedFailures: RegExp[] = []): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    return { context, page, errors: collectBrowserErrors(page, expectedFailures) };
  }

  async function settle(page: Page): Promise<void> {
    await page.waitForLoadState('networkidle');
    await page.locator('h1').first().waitFor();
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelector('[role="progressbar"]') === null);
  }

  async function open(page: Page, path: string): Promise<void> {
    await page.goto(`${server.origin}${path}`);
    await settle(page);
  }

  async function assertAccessible(page: Page, name: string): Promise<void> {
    const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `${name}: axe-core found serious or critical violations`);
  }

  function focusedName(page: Page): Promise<string> {
    return page.evaluate<string>(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return '';
      const labelled = el.labels?.[0]?.textContent ?? el.getAttribute('aria-label');
      return (labelled ?? el.textContent ?? '').trim();
    })()`);
  }

  /** Presses Tab until the focused control's name starts with `name` (at most `max` presses). */
  async function tabTo(page: Page, name: string, max = 60): Promise<void> {
    const seen: string[] = [];
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      seen.push(await focusedName(page));
      if (seen.at(-1)!.startsWith(name)) return;
    }
    assert.fail(`Tab never reached "${name}" (got ${JSON.stringify(seen)})`);
  }

  /** Signs in with a console account by keyboard only. */
  async function signInWithAccount(page: Page, userName: string, secret: string): Promise<void> {
    await page.goto(`${server.origin}/`);
    await settle(page);
    await tabTo(page, 'User name');
    await page.keyboard.type(userName);
    await tabTo(page, 'Password', 1);
    await page.keyboard.type(secret);
    await page.keyboard.press('Enter');
  }

  it('signs in with a console account by keyboard, refusing a wrong password without saying which part was wrong', async () => {
    // The wrong password's 401 is the answer the sign-in form turns into its message.
    const { context, page, errors } = await newPage([/\/graph\/beta\/envelope\/consoleSession$/]);
    try {
      await signInWithAccount(page, 'alice', 'not the password at all');
      await page.getByText('The user name or password is not correct.').waitFor();
      assert.equal(await page.getByRole('navigation').count(), 0);
      await assertAccessible(page, 'sign-in with account');
      await screenshot(page, 'sign-in-account');
      await signInWithAccount(page, 'alice', password);
      await page.getByRole('navigation').waitFor();
      assert.equal(await page.getByText('Admin', { exact: true }).count(), 1);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('shows the duplicate-account alert on Home with its count and fix, and the alert page lists the iPhone', async () => {
    const { context, page, errors } = await newPage();
    try {
      await signInWithAccount(page, 'alice', password);
      await page.getByRole('navigation').waitFor();
      await settle(page);
      const alert = page.getByRole('list', { name: 'Active alerts' }).getByRole('listitem').filter({ hasText: 'iOS devices blocked by an email account the user made' });
      const text = await alert.innerText();
      assert.match(text, /Warning/);
      assert.match(text, /1 device affected/);
      assert.match(text, /Fix: Ask each user to remove the email account they added themselves/);
      const chart = page.getByRole('img', { name: /Device deliveries over all profiles/ });
      assert.match((await chart.getAttribute('aria-label'))!, /Error 1|Conflict 1|Failed 1/);
      await assertAccessible(page, 'home with alerts');
      await screenshot(page, 'home-alerts');

      // By keyboard, from the home page to the alert's page.
      await tabTo(page, 'See the 1 affected device');
      await page.keyboard.press('Enter');
      await page.waitForURL(`${server.origin}/alerts/duplicateAccountBlocks`);
      await settle(page);
      assert.equal(await page.locator('h1').first().textContent(), 'iOS devices blocked by an email account the user made');
      const row = page.getByRole('table', { name: 'affected devices' }).getByRole('row').filter({ hasText: seeded.deviceName });
      assert.match(await row.innerText(), /ann@contoso\.com[\s\S]*Contoso mail/);
      await page.getByText('1 of 1 shown').waitFor();
      await assertAccessible(page, 'alert page');
      await screenshot(page, 'alert-duplicate-account');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('renders the Certificates page with the tenant CA and downloads its root certificate', async () => {
    const { context, page, errors } = await newPage();
    try {
      await signInWithAccount(page, 'alice', password);
      await page.getByRole('navigation').waitFor();
      await page.getByRole('link', { name: 'Certificates' }).click();
      await settle(page);
      assert.equal(await page.locator('h1').first().textContent(), 'Certificates');
      const ca = (await server.request('GET', '/graph/beta/envelope/certificateAuthority')).body as { subject: string; thumbprint: string };
      await page.getByText(ca.thumbprint).waitFor();
      const identity = page.getByRole('table', { name: 'Certificate profiles' }).getByRole('row').filter({ hasText: 'Mail identity' });
      assert.match(await identity.innerText(), /PKCS certificate \(iOS\/iPadOS\)[\s\S]*0[\s\S]*Certificate mail \(identity\)/);
      await page.getByRole('table', { name: 'issued certificates' }).getByText('No issued certificates yet.').waitFor();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download root certificate (.cer)' }).press('Enter')]);
      const der = readFileSync((await download.path())!);
      assert.equal(new X509Certificate(der).fingerprint.replace(/:/g, ''), ca.thumbprint);
      await assertAccessible(page, 'certificates');
      await screenshot(page, 'certificates');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('pages the users table on the server: Load more by keyboard, server search, and a CSV of every matching row', async () => {
    const { context, page, errors } = await newPage();
    try {
      await signInWithAccount(page, 'alice', password);
      await page.getByRole('navigation').waitFor();
      await open(page, '/users');
      const table = page.getByRole('table', { name: 'users' });
      const total = extraUsers + 1;
      await page.getByText(`50 of ${total} shown`).waitFor();
      assert.equal(await table.getByRole('row').count(), 51, 'a header and one page of rows');
      await tabTo(page, 'Load more users');
      await page.keyboard.press('Enter');
      await page.getByText(`${total} of ${total} shown`).waitFor();
      assert.equal(await table.getByRole('row').count(), total + 1);
      assert.equal(await page.getByRole('button', { name: 'Load more users' }).count(), 0, 'no more pages');
      await assertAccessible(page, 'users paged');
      await screenshot(page, 'users-paged');

      await page.getByLabel('Search users').fill('user1');
      await page.getByText('10 of 10 shown').waitFor();
      await page.getByLabel('Search users').fill('');
      await page.getByText(`50 of ${total} shown`).waitFor();
      await tabTo(page, 'Export CSV');
      const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
      const lines = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
      assert.equal(lines.length, total + 1, 'the header and every user, not only the page shown');
      await page.getByText(`Exported ${total} rows (all that match, not only those shown).`).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('a readOnly console account sees the new pages and no write control', async () => {
    const { context, page, errors } = await newPage();
    try {
      await signInWithAccount(page, 'helpdesk', password);
      await page.getByRole('navigation').waitFor();
      assert.equal(await page.getByText('Read only', { exact: true }).count(), 1);
      for (const path of ['/', '/alerts/duplicateAccountBlocks', '/certificates', '/users', '/enrollment']) {
        await open(page, path);
        const buttons = await page.evaluate<string[]>(`[...document.querySelectorAll('button, [role="button"]')]
          .filter((b) => !b.closest('.fui-SearchBox'))
          .map((b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').trim())`);
        const reading = ['Sign out', 'Export CSV', 'Load more users', 'Download root certificate (.cer)'];
        assert.deepEqual(buttons.filter((b) => !reading.includes(b)), [], `${path}: write controls ${JSON.stringify(buttons)}`);
        assert.equal(await page.locator('form').count(), 0, `${path}: no form`);
      }
      await assertAccessible(page, 'enrollment (readOnly account)');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
