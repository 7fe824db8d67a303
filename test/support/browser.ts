import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/**
 * The browser that `npm test`'s set-up found or installed (scripts/browser.mjs decides: REPLEARN_CHROMIUM,
 * then Chromium or Chrome on PATH or in their install paths). Fails with the set-up's own line when none exists.
 */
export function chromiumPath(): string {
  const script = path.join(__dirname, '..', '..', 'scripts', 'browser.mjs');
  const lookup = spawnSync(process.execPath, [script, '--find'], { encoding: 'utf8' });
  const found = lookup.stdout.trim();
  assert.ok(lookup.status === 0 && found !== '', (lookup.stderr || lookup.error?.message || 'scripts/browser.mjs failed').trim().replace(/^\[browser\] /, ''));
  return found;
}

/** That browser, headless; playwright-core never downloads a browser of its own. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
