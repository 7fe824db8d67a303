import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (or REPLEARN_CHROMIUM), headless; playwright-core never downloads a browser of its own. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.REPLEARN_CHROMIUM ?? '/usr/bin/chromium';
  assert.ok(fs.existsSync(executablePath), `Chromium not found at ${executablePath}: install Debian's chromium (apt-get install chromium) or set REPLEARN_CHROMIUM`);
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
