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
}

const host = 'rollout.contoso.com';

/**
 * A staged rollout run from the console (issue 11): an admin starts it on the profile page, by
 * keyboard; simulated iPhones install or refuse (two users made the account by hand); the rollout
 * worker advances the healthy pilot ring and pauses the next on errors; the console shows the
 * paused reason, and the admin stops it. readOnly tokens see the progress and no controls.
 */
describe('a staged rollout in the console (Chromium)', () => {
  let testDb: TestDb;
  let server: HttpsEnvelope;
  let browser: Browser;
  let readOnlyToken: string;
  let profileId: string;
  const iphones: { upn: string; iphone: SimulatedIphone }[] = [];

  before(async () => {
    browser = await launchChromium();
    testDb = await openTestDb();
    const pki = await createE2ePki();
    server = await startHttpsEnvelope({ db: testDb.db, pki, secretKey: randomBytes(32), appleMdmOptions: { verifyDelayMs: 0 } });
    const admin = adminHelpers(server.request);
    await admin.uploadPushCertificate(pki.push);
    const ca = await server.request('GET', '/graph/beta/envelope/certificateAuthority');
    const caPem = `-----BEGIN CERTIFICATE-----\n${(ca.body.certificate as string).match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    const users: Record<string, string> = {};
    for (const upn of ['pia@contoso.com', 'wes@contoso.com', 'wyn@contoso.com', 'rae@contoso.com']) {
      users[upn] = await admin.user(upn);
      const iphone = await enrollIphoneAt(await admin.enrollmentToken(users[upn]!), deviceHttpFor(pki), caPem);
      await iphone.runCommandLoop();
      iphones.push({ upn, iphone });
    }
    await admin.group('Staff', Object.values(users));
    await admin.group('Pilot', [users['pia@contoso.com']!]);
    // Two users set the account up by hand: iOS refuses the profile's duplicate (a conflict).
    for (const { upn, iphone } of iphones.filter((i) => i.upn.startsWith('w'))) iphone.addUserAccount(host, upn);
    profileId = await admin.mailProfile('Rollout mail', host);
    readOnlyToken = (await server.envelope.services.tenants.createToken('default', 'readOnly')).token;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await testDb?.dispose();
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    return { context, page, errors: collectBrowserErrors(page) };
  }

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${server.origin}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation').waitFor();
  }

  async function openProfile(page: Page): Promise<void> {
    await page.goto(`${server.origin}/profiles/${profileId}`);
    await page.waitForLoadState('networkidle');
    await page.getByRole('region', { name: 'Staged rollout' }).waitFor();
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelector('[role="progressbar"]') === null);
  }

  async function assertAccessible(page: Page, name: string): Promise<void> {
    const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `${name}: axe-core found serious or critical violations`);
  }

  const settleAll = async () => {
    for (const { iphone } of iphones) await iphone.runCommandLoop();
  };

  it('starts a rollout by keyboard, shows the pilot ring advancing and the next ring pausing on errors, and stops it', async () => {
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, server.adminToken);
      await openProfile(page);
      const panel = page.getByRole('region', { name: 'Staged rollout' });
      await panel.getByText('No staged rollout of this profile yet.').waitFor();

      // The form, by keyboard: it opens on demand; a wrong ring list is refused in words, then a valid one starts it.
      assert.equal(await panel.getByLabel('Assign to group').count(), 0, 'the start form is closed until asked for');
      await panel.getByRole('button', { name: 'Start a staged rollout…' }).press('Enter');
      await panel.getByLabel('Assign to group').focus();
      await page.keyboard.press('Tab'); // to the pilot group
      assert.equal(await page.evaluate<string>('document.activeElement?.labels?.[0]?.textContent ?? ""'), 'Pilot group first (optional)');
      await panel.getByLabel('Assign to group').selectOption({ label: 'Staff' });
      await panel.getByLabel('Pilot group first (optional)').selectOption({ label: 'Pilot' });
      await panel.getByLabel('Rings (percent of devices)').fill('50, 10');
      await panel.getByRole('button', { name: 'Start rollout' }).press('Enter');
      await panel.getByText('Rings: each percentage must be larger than the one before.').waitFor();
      await panel.getByLabel('Rings (percent of devices)').fill('100');
      await panel.getByLabel('Pause when the error rate exceeds (%)').fill('25');
      await panel.getByLabel('Minimum soak per ring (minutes)').fill('0');
      await assertAccessible(page, 'rollout form');
      await panel.getByRole('button', { name: 'Start rollout' }).press('Enter');
      await panel.getByText('Ring 1 of 2').waitFor();
      await panel.getByText('Running', { exact: true }).waitFor();

      // Ring 1, the pilot, installs; the worker advances to everyone, whose devices answer.
      await settleAll();
      assert.deepEqual(iphones.map((i) => i.iphone.accounts().filter((a) => a.origin !== 'user' && a.host === host).length), [1, 0, 0, 0]);
      assert.deepEqual((await server.envelope.rolloutWorker.pollOnce()).map((s) => s.action), ['advance']);
      await settleAll();
      assert.deepEqual((await server.envelope.rolloutWorker.pollOnce()).map((s) => s.action), ['pause']);

      // The panel refreshes itself while the rollout is in progress.
      await panel.getByText('Ring 2 of 2').waitFor({ timeout: 15_000 });
      await panel.getByText('Paused', { exact: true }).first().waitFor();
      assert.match(await panel.getByTestId('rollout-paused').innerText(), /^Paused\s*Error rate 50 % \(2 of 4 devices reached\) is above the 25 % threshold\.$/);
      assert.equal(await panel.getByTestId('rollout-errors').textContent(), '2');
      await assertAccessible(page, 'paused rollout');
      await screenshot(page, 'profile-rollout-paused');

      await panel.getByRole('button', { name: 'Stop (no more devices)' }).press('Enter');
      await panel.getByText('No further device gets the change; devices already reached keep it.', { exact: false }).waitFor();
      assert.equal(await panel.getByRole('button', { name: 'Advance to next ring' }).count(), 0);
      assert.equal((await server.request('GET', `/graph/beta/deviceManagement/deviceConfigurations/${profileId}/envelope/rollout`)).body.state, 'stopped');
      await assertAccessible(page, 'stopped rollout');
      await screenshot(page, 'profile-rollout-stopped');
      assert.deepEqual(errors, [], 'the browser logged errors');
    } finally {
      await context.close();
    }
  });

  it('shows readOnly tokens the progress and no controls', async () => {
    const { context, page, errors } = await newPage();
    try {
      await signIn(page, readOnlyToken);
      await openProfile(page);
      const panel = page.getByRole('region', { name: 'Staged rollout' });
      await panel.getByText('Ring 2 of 2').waitFor();
      await panel.getByText('Stopped', { exact: true }).first().waitFor();
      assert.equal(await panel.getByRole('button').count(), 0, 'no write controls');
      assert.equal(await panel.getByRole('form').count(), 0);
      await assertAccessible(page, 'rollout read-only');
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
