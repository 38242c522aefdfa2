import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { axeViolations, collectBrowserErrors } from './browser.ts';

/** The little of the page's globals that functions run in it use (the type-check has no DOM types). */
interface InPage {
  document: { querySelector(selector: string): unknown };
}

/**
 * What the console's browser tests do to a page of a running Envelope at `origin`: open a context,
 * sign in, open a path and wait for its data, move by Tab, and check accessibility with axe-core.
 */
export function consolePages(browser: Browser, origin: string, options: { tabMatch?: 'exact' | 'prefix' } = {}) {
  const tabMatch = options.tabMatch ?? 'exact';
  /** Waits until the page's data has loaded (no spinner, no request in flight). */
  async function settle(page: Page): Promise<void> {
    await page.waitForLoadState('networkidle');
    await page.locator('h1').first().waitFor();
    await page.waitForFunction(() => (globalThis as unknown as InPage).document.querySelector('[role="progressbar"]') === null);
  }

  /** The accessible name of the focused element (its label, aria-label or text). */
  function focusedName(page: Page): Promise<string> {
    return page.evaluate<string>(`(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return '';
      const labelled = el.labels?.[0]?.textContent ?? el.getAttribute('aria-label');
      return (labelled ?? el.textContent ?? '').trim();
    })()`);
  }

  return {
    settle,
    focusedName,

    /** A fresh browser context and page; `errors` collects what the page logs as an error. */
    async newPage(expectedFailures: RegExp[] = []): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
      const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1366, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      return { context, page, errors: collectBrowserErrors(page, expectedFailures) };
    },

    async signIn(page: Page, token: string): Promise<void> {
      await page.goto(`${origin}/`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation').waitFor();
    },

    async open(page: Page, path: string): Promise<void> {
      await page.goto(`${origin}${path}`);
      await settle(page);
    },

    /**
     * Presses Tab from where focus is until the focused control's name matches `name` (at most `max`
     * presses): a pattern, or a string that is the whole name (`tabMatch: 'prefix'`: its start).
     */
    async tabTo(page: Page, name: string | RegExp, max = 80): Promise<void> {
      const matches = (text: string) => (typeof name !== 'string' ? name.test(text) : tabMatch === 'exact' ? text === name : text.startsWith(name));
      const seen: string[] = [];
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        seen.push(await focusedName(page));
        if (matches(seen.at(-1)!)) return;
      }
      assert.fail(`Tab never reached ${String(name)} (got ${JSON.stringify(seen)})`);
    },

    async assertAccessible(page: Page, name: string): Promise<void> {
      const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
      assert.deepEqual(serious, [], `${name}: axe-core found serious or critical violations`);
    },
  };
}
