import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SimulatedIphone } from '../../sim/ios/simulated-iphone.ts';
import { adminHelpers, createE2ePki, deviceHttpFor, enrollIphoneAt, startHttpsEnvelope, type HttpsEnvelope } from '../helpers/https-envelope.ts';
import { openTestDb, type TestDb } from '../helpers/test-db.ts';
import { axeViolations, collectBrowserErrors, launchChromium, screenshot } from '../helpers/browser.ts';

/** The little of the page's globals that functions run in it use (the type-check has no DOM types). */
interface InPage {
  document: { querySelector(selector: string): unknown };
  location: { pathname: string };
}

const profilesUrl = '/graph/beta/deviceManagement/deviceConfigurations';

/**
 * The Create profile wizard and the assignments editor in Chromium against a real Envelope (the
 * suite's database) with a simulated iPhone: an iOS profile is created by keyboard, the fields shown
 * per platform are the table's, the API's 400 message lands on the field, the dry run names the
 * iPhone, and the iPhone installs the profile.
 */
describe('the Create profile wizard and the assignments editor in Chromium', () => {
  let testDb: TestDb;
  let server: HttpsEnvelope;
  let browser: Browser;
  let iphone: SimulatedIphone;
  let readOnlyToken: string;
  const seeded = { groupId: '', deviceId: '', deviceName: '', userUpn: 'ann@contoso.com' };

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
    await admin.user('bob@contoso.com');
    seeded.groupId = await admin.group('Sales', [ann]);
    iphone = await enrollIphoneAt(await admin.enrollmentToken(ann), deviceHttpFor(pki), caPem);
    seeded.deviceId = await admin.managedDeviceIdOf(iphone.hardware.SerialNumber);
    seeded.deviceName = (await server.request('GET', `/graph/beta/deviceManagement/managedDevices/${seeded.deviceId}`)).body.deviceName;
    readOnlyToken = (await server.envelope.services.tenants.createToken('default', 'readOnly')).token;
    const index = await server.envelope.app.inject({ method: 'GET', url: '/profiles/new' });
    assert.equal(index.statusCode, 200, 'console/dist is missing: `npm install` builds it (or `npm run build:console`)');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await testDb?.dispose();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    // The bad host name's 400 (from the dry run that checks the settings) is the answer the wizard shows on the field, not a fault.
    return { context, page, errors: collectBrowserErrors(page, [/\/graph\/beta\/deviceManagement\/deviceConfigurations\/envelope\/dryRunCreate\?\$top=20$/]) };
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${server.origin}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation').waitFor();
  }

  async function open(page: Page, path: string): Promise<void> {
    await page.goto(`${server.origin}${path}`);
    await settle(page);
  }

  async function settle(page: Page): Promise<void> {
    await page.waitForLoadState('networkidle');
    await page.locator('h1').first().waitFor();
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelector('[role="progressbar"]') === null);
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

  /** Presses Tab from where focus is until a control whose name matches has it. */
  async function tabTo(page: Page, name: string | RegExp, max = 80): Promise<void> {
    const matches = (text: string) => (typeof name === 'string' ? text === name : name.test(text));
    const seen: string[] = [];
    for (let i = 0; i < max; i++) {
      await page.keyboard.press('Tab');
      seen.push(await focusedName(page));
      if (matches(seen.at(-1)!)) return;
    }
    assert.fail(`Tab never reached ${String(name)} (got ${JSON.stringify(seen)})`);
  }

  async function stepIs(page: Page, step: string): Promise<void> {
    await page.getByRole('heading', { level: 2, name: step, exact: true }).waitFor();
    assert.equal(await page.locator('[aria-current="step"]').innerText(), `${['Basics', 'Platform', 'Settings', 'Assignments', 'Review and create'].indexOf(step) + 1}. ${step}`);
  }

  /** The labels of the settings the step shows (each control's label, or a fieldset's legend). */
  async function settingLabels(page: Page): Promise<string[]> {
    return page.evaluate<string[]>(`[...document.querySelectorAll('form [data-setting]:not([data-setting^="basics-"])')]
      .map((el) => {
        if (el.tagName === 'FIELDSET') return el.querySelector('legend')?.textContent ?? '';
        const control = el.querySelector('input, select, textarea');
        return control?.labels?.[0]?.textContent ?? '';
      })
      .map((t) => t.replace(/\\s*\\*$/, '').trim())`);
  }

  const windowsOnly = ['Sync schedule', 'Sync the calendar', 'Sync contacts', 'Sync tasks'];
  const iosOnly = ['Authentication method', 'Use OAuth (modern authentication)', 'Enable S/MIME', 'Content to synchronize', 'Block sending email from third-party apps'];
  const common = ['Email server', 'Account name', 'Username attribute', 'Email address attribute', 'Amount of email to synchronize', 'Use SSL'];

  it('creates an iOS profile by keyboard: the fields of each platform, the API message on the field, the dry run, and the iPhone reaching Succeeded', async () => {
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, server.adminToken);
      await open(page, '/profiles');
      await tabTo(page, 'Create profile');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => (globalThis as unknown as InPage).location.pathname === '/profiles/new');
      await settle(page);

      // 1. Basics.
      await stepIs(page, 'Basics');
      await assertAccessible(page, 'wizard: basics');
      await screenshot(page, 'wizard-basics');
      await tabTo(page, /^Name/);
      await page.keyboard.type('Fabrikam mail');
      await page.keyboard.press('Tab');
      await page.keyboard.type('Mail for the sales team');
      await tabTo(page, 'Next');
      await page.keyboard.press('Enter');

      // 2. Platform: none is chosen; Windows first (arrow keys choose within the radio group).
      await stepIs(page, 'Platform');
      await tabTo(page, 'Next');
      await page.keyboard.press('Enter');
      await page.getByText('Choose the platform the profile is for.').waitFor();
      await assertAccessible(page, 'wizard: platform');
      await screenshot(page, 'wizard-platform');
      await tabTo(page, /^iOS\/iPadOS/, 20);
      await page.keyboard.press('ArrowDown');
      assert.match(await focusedName(page), /^Windows 10\/11/);
      await tabTo(page, 'Next');
      await page.keyboard.press('Enter');

      // 3. Settings for Windows 10/11.
      await stepIs(page, 'Settings');
      const windows = await settingLabels(page);
      for (const label of [...common, ...windowsOnly]) assert.ok(windows.includes(label), `Windows shows ${label} (got ${JSON.stringify(windows)})`);
      for (const label of [...iosOnly, 'Identity certificate']) assert.ok(!windows.includes(label), `Windows has no ${label}`);
      await assertAccessible(page, 'wizard: Windows settings');
      await screenshot(page, 'wizard-settings-windows');
      await tabTo(page, 'Back');
      await page.keyboard.press('Enter');
      await stepIs(page, 'Platform');
      await tabTo(page, /^Windows 10\/11/, 20);
      await page.keyboard.press('ArrowUp');
      assert.match(await focusedName(page), /^iOS\/iPadOS/);
      await tabTo(page, 'Next');
      await page.keyboard.press('Enter');

      // 3. Settings for iOS/iPadOS; the identity certificate only with certificate authentication.
      await stepIs(page, 'Settings');
      const ios = await settingLabels(page);
      for (const label of [...common, ...iosOnly]) assert.ok(ios.includes(label), `iOS shows ${label} (got ${JSON.stringify(ios)})`);
      for (const label of [...windowsOnly, 'Identity certificate', 'Signing certificate', 'Sign messages']) assert.ok(!ios.includes(label), `iOS shows no ${label} now`);
      await tabTo(page, /^Email server/);
      await page.keyboard.type('https://mail.fabrikam.com');
      await tabTo(page, /^Account name/);
      await page.keyboard.type('Fabrikam');
      await tabTo(page, 'Authentication method');
      await page.keyboard.press('ArrowDown');
      await page.getByLabel('Identity certificate').waitFor();
      assert.ok((await settingLabels(page)).includes('Identity certificate'));
      await assertAccessible(page, 'wizard: iOS settings with certificate authentication');
      await screenshot(page, 'wizard-settings-ios-certificate');
      await page.keyboard.press('ArrowUp');
      await page.getByLabel('Identity certificate').waitFor({ state: 'detached' });
      await tabTo(page, 'Enable S/MIME');
      await page.keyboard.press('Space');
      await page.getByLabel('Signing certificate type').waitFor();
      assert.ok(!(await settingLabels(page)).includes('Signing certificate'), 'the signing certificate waits for its type');
      await page.keyboard.press('Space');
      await page.getByLabel('Signing certificate type').waitFor({ state: 'detached' });
      await assertAccessible(page, 'wizard: iOS settings');
      await screenshot(page, 'wizard-settings-ios');

      // Next asks the API (a dry run, nothing saved): its 400 is shown on the field, which gets focus.
      const before = (await server.request('GET', profilesUrl)).body.value.length;
      await tabTo(page, 'Next');
      await page.keyboard.press('Enter');
      const hostField = page.locator('[data-setting="hostName"]');
      const shownMessage = hostField.locator('.fui-Field__validationMessage');
      await shownMessage.waitFor();
      await stepIs(page, 'Settings');
      const api = await server.request('POST', profilesUrl, {
        '@odata.type': '#microsoft.graph.iosEasEmailProfileConfiguration', displayName: 'x', accountName: 'x', hostName: 'https://mail.fabrikam.com',
      });
      assert.equal(api.status, 400);
      assert.equal(api.body.error.target, 'hostName');
      assert.equal(await shownMessage.innerText(), api.body.error.message);
      assert.equal(await page.evaluate<string | null>('document.activeElement.closest("[data-setting]")?.dataset.setting ?? null'), 'hostName', 'focus is on the field the API named');
      assert.equal((await server.request('GET', profilesUrl)).body.value.length, before, 'nothing was created');
      await assertAccessible(page, 'wizard: settings with the API error');
      await screenshot(page, 'wizard-api-error');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('mail.fabrikam.com');
      assert.equal(await shownMessage.count(), 0, 'the message goes once the value changes');
      await tabTo(page, 'Next');
      await page.keyboard.press('Enter');

      // 4. Assignments: include Sales.
      await stepIs(page, 'Assignments');
      await tabTo(page, 'Group');
      await page.keyboard.press('ArrowDown');
      await tabTo(page, 'Include group');
      await page.keyboard.press('Enter');
      await page.getByRole('list', { name: 'Included groups' }).getByText('Sales').waitFor();
      await assertAccessible(page, 'wizard: assignments');
      await screenshot(page, 'wizard-assignments');
      await tabTo(page, 'Next');
      await page.keyboard.press('Enter');

      // 5. Review: the dry run names the iPhone that will gain the profile, before anything is saved.
      await stepIs(page, 'Review and create');
      const review = await page.getByLabel('Profile to create').innerText();
      assert.match(review, /Name\s+Fabrikam mail[\s\S]*Platform\s+iOS\/iPadOS[\s\S]*Email server\s+mail\.fabrikam\.com[\s\S]*Assignments\s+Sales/);
      const dryRun = page.getByRole('region', { name: 'Dry run result' });
      const gain = await dryRun.locator('[data-change="Gain the profile"]').innerText();
      assert.match(gain, new RegExp(`Gain the profile\\s+1\\s+${seeded.deviceName} \\(${seeded.userUpn.replace('.', '\\.')}\\)`));
      assert.match(await dryRun.locator('[data-change="Lose the profile"]').innerText(), /Lose the profile\s+0/);
      assert.equal((await server.request('GET', profilesUrl)).body.value.length, before, 'nothing is saved before Create');
      await assertAccessible(page, 'wizard: review with the dry run');
      await screenshot(page, 'wizard-review');
      await tabTo(page, 'Create and assign');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => /^\/profiles\/[0-9a-f-]{36}$/.test((globalThis as unknown as InPage).location.pathname));
      await settle(page);
      const created = ((await server.request('GET', profilesUrl)).body.value as { id: string; displayName: string; hostName: string; description: string }[]).find((p) => p.displayName === 'Fabrikam mail');
      assert.ok(created, 'the profile exists');
      assert.equal(await page.evaluate<string>('location.pathname'), `/profiles/${created.id}`);
      assert.equal(created.hostName, 'mail.fabrikam.com');
      assert.equal(created.description, 'Mail for the sales team');
      const assigned = (await server.request('GET', `${profilesUrl}/${created.id}/assignments`)).body.value as { target: { groupId?: string } }[];
      assert.deepEqual(assigned.map((a) => a.target.groupId), [seeded.groupId]);

      // The iPhone checks in and installs it: Succeeded on the profile page.
      const report = await iphone.runCommandLoop();
      assert.equal(report.ended, 'idle', JSON.stringify(report));
      await page.reload();
      await settle(page);
      const row = page.getByRole('table', { name: 'device statuses' }).getByRole('row').filter({ hasText: seeded.deviceName });
      assert.match(await row.innerText(), /ann@contoso\.com[\s\S]*Succeeded/);
      await page.getByRole('list', { name: 'Included groups' }).getByText('Sales').waitFor();
      await assertAccessible(page, 'profile with the assignments editor');
      await screenshot(page, 'profile-assignments');
      assert.deepEqual(errors, [], 'the browser logged errors');
    } finally {
      await context.close();
    }
  });

  it('a certificate-based profile: the identity certificate picker lists the platform\'s PKCS profile and the profile links it', async () => {
    const pkcs = await server.request('POST', profilesUrl, { '@odata.type': '#microsoft.graph.iosPkcsCertificateProfile', displayName: 'Ann identity', subjectAlternativeNameType: 'emailAddress' });
    assert.equal(pkcs.status, 201, JSON.stringify(pkcs.body));
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, server.adminToken);
      await open(page, '/profiles/new');
      await page.getByLabel(/^Name/).fill('Fabrikam certificate mail');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('radio', { name: /^iOS\/iPadOS/ }).check();
      await page.getByRole('button', { name: 'Next' }).click();
      await stepIs(page, 'Settings');
      await page.getByLabel(/^Email server/).fill('mail.fabrikam.net');
      await page.getByLabel(/^Account name/).fill('Fabrikam');
      await page.getByLabel('Authentication method').selectOption('certificate');
      const picker = page.getByLabel(/^Identity certificate/);
      assert.deepEqual(await picker.locator('option').allInnerTexts(), ['Choose a certificate profile', 'Ann identity (PKCS)']);
      await picker.selectOption({ label: 'Ann identity (PKCS)' });
      await page.getByRole('button', { name: 'Next' }).click();
      await stepIs(page, 'Assignments');
      await page.getByRole('button', { name: 'Next' }).click();
      await stepIs(page, 'Review and create');
      assert.match(await page.getByLabel('Profile to create').innerText(), /Authentication method\s+Certificate\s+Identity certificate\s+Ann identity/);
      // No assignment chosen: Create saves the profile and opens it.
      await page.getByRole('button', { name: 'Create profile' }).click();
      await page.waitForFunction(() => /^\/profiles\/[0-9a-f-]{36}$/.test((globalThis as unknown as InPage).location.pathname));
      await settle(page);
      const id = (await page.evaluate<string>('location.pathname')).split('/').at(-1)!;
      const created = (await server.request('GET', `${profilesUrl}/${id}`)).body;
      assert.equal(created.authenticationMethod, 'certificate');
      assert.equal(created.displayName, 'Fabrikam certificate mail');
      const { tenantId } = await server.envelope.services.tenants.authenticate(`Bearer ${server.adminToken}`);
      assert.equal((await server.envelope.services.profiles.getOrThrow(tenantId, id)).links.identityCertificate, pkcs.body.id, 'linked to the PKCS profile');
      assert.match(await page.getByRole('region', { name: 'Assignments' }).innerText(), /None\./);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('the review names the conflict a new profile would create with an assigned one, and nothing is saved', async () => {
    const admin = adminHelpers(server.request);
    const existing = await admin.mailProfile('Contoso mail', 'mail.contoso.com');
    await admin.assign(existing, [seeded.groupId]);
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, server.adminToken);
      await open(page, '/profiles/new');
      await page.getByLabel(/^Name/).fill('Contoso mail again');
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByRole('radio', { name: /^iOS\/iPadOS/ }).check();
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByLabel(/^Email server/).fill('MAIL.contoso.com');
      await page.getByLabel(/^Account name/).fill('Contoso');
      await page.getByRole('button', { name: 'Next' }).click();
      await stepIs(page, 'Assignments');
      await page.getByLabel('Group').selectOption({ label: 'Sales' });
      await page.getByRole('button', { name: 'Include group' }).click();
      await page.getByRole('button', { name: 'Next' }).click();
      await stepIs(page, 'Review and create');
      const conflict = page.getByRole('region', { name: 'Dry run result' }).getByText(/conflict\(s\)/);
      await conflict.waitFor();
      const text = await page.getByRole('region', { name: 'Dry run result' }).innerText();
      assert.match(text, new RegExp(`1 conflict\\(s\\)[\\s\\S]*${seeded.deviceName}:[^\\n]*Contoso mail`));
      const listed = (await server.request('GET', profilesUrl)).body.value as { displayName: string }[];
      assert.ok(!listed.some((p) => p.displayName === 'Contoso mail again'), 'nothing saved by the dry run');
      await assertAccessible(page, 'wizard: review with a conflict');
      await screenshot(page, 'wizard-review-conflict');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
      // The next tests expect the iPhone free of this clash.
      assert.equal((await server.request('DELETE', `${profilesUrl}/${existing}`)).status, 204);
    }
  });

  it('the assignments editor previews a change before saving it, by keyboard; a stale preview cannot be saved', async () => {
    const admin = adminHelpers(server.request);
    const profileId = await admin.mailProfile('Northwind mail', 'mail.northwind.com');
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, server.adminToken);
      await open(page, `/profiles/${profileId}`);
      const save = page.getByRole('button', { name: 'Save assignments' });
      assert.equal(await save.isDisabled(), true, 'no Save before a preview');
      await tabTo(page, 'All users');
      await page.keyboard.press('Space');
      await tabTo(page, 'Preview changes');
      await page.keyboard.press('Enter');
      const dryRun = page.getByRole('region', { name: 'Dry run result' });
      await dryRun.waitFor();
      assert.match(await dryRun.locator('[data-change="Gain the profile"]').innerText(), new RegExp(`Gain the profile\\s+1\\s+${seeded.deviceName}`));
      assert.equal(await save.isDisabled(), false);
      await assertAccessible(page, 'assignments editor with a preview');
      await screenshot(page, 'assignments-editor-preview');
      // Changing the selection makes the preview stale: preview again before saving.
      await page.getByRole('checkbox', { name: 'All devices' }).press('Space');
      await page.getByText('The selection changed since the preview').waitFor();
      assert.equal(await save.isDisabled(), true);
      await page.getByRole('checkbox', { name: 'All devices' }).press('Space');
      await page.getByRole('button', { name: 'Preview changes' }).press('Enter');
      await page.getByRole('region', { name: 'Dry run result' }).waitFor();
      await save.press('Enter');
      await page.getByText('Assignments saved.').waitFor();
      const saved = (await server.request('GET', `${profilesUrl}/${profileId}/assignments`)).body.value as { target: Record<string, string> }[];
      assert.deepEqual(saved.map((a) => a.target['@odata.type']), ['#microsoft.graph.allLicensedUsersAssignmentTarget']);
      // The page reloads the profile after the save; wait for that reload rather than for an idle network
      // (which can come before the reload's first request).
      await page.getByRole('region', { name: 'Overview' }).getByText('All users', { exact: true }).waitFor();
      assert.match(await page.getByRole('region', { name: 'Overview' }).innerText(), /Assigned to\s+All users/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('the editor\'s preview names the users lacking a directory attribute the profile needs', async () => {
    const admin = adminHelpers(server.request);
    // Ann has no primary SMTP address (no mail attribute): a profile taking the address from it cannot reach her.
    const profileId = await admin.mailProfile('Smtp mail', 'smtp.contoso.com', { emailAddressSource: 'primarySmtpAddress' });
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, server.adminToken);
      await open(page, `/profiles/${profileId}`);
      await page.getByLabel('Group').selectOption({ label: 'Sales' });
      await page.getByRole('button', { name: 'Include group' }).click();
      await page.getByRole('button', { name: 'Preview changes' }).click();
      const dryRun = page.getByRole('region', { name: 'Dry run result' });
      await dryRun.getByText(/user\(s\) lack a directory attribute/).waitFor();
      assert.match(await dryRun.innerText(), /1 user\(s\) lack a directory attribute the profile needs\s+ann@contoso\.com: /);
      await assertAccessible(page, 'assignments editor: missing attribute');
      assert.deepEqual((await server.request('GET', `${profilesUrl}/${profileId}/assignments`)).body.value, [], 'a preview saves nothing');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it('a readOnly token sees the assignments and no Create profile button, wizard or assignment control', async () => {
    const admin = adminHelpers(server.request);
    const profileId = await admin.mailProfile('Tailspin mail', 'mail.tailspin.com');
    await admin.assign(profileId, [seeded.groupId]);
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, readOnlyToken);
      await open(page, '/profiles');
      assert.equal(await page.getByRole('button', { name: 'Create profile' }).count(), 0);
      await open(page, `/profiles/${profileId}`);
      assert.equal(await page.getByRole('region', { name: 'Assignments' }).innerText(), 'Assignments\nSales');
      const buttons = await page.evaluate<string[]>(`[...document.querySelectorAll('button, [role="button"], input[type="checkbox"], select')]
        .filter((b) => !b.closest('.fui-SearchBox') && !b.closest('section[aria-label$="status details"]'))
        .map((b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').trim())`);
      assert.deepEqual(buttons.filter((b) => b !== 'Sign out'), [], `write controls: ${JSON.stringify(buttons)}`);
      await assertAccessible(page, 'profile (read only)');
      await open(page, '/profiles/new');
      await page.getByText('Only an admin token can create profiles.').waitFor();
      assert.equal(await page.locator('form').count(), 0);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
