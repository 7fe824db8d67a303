import assert from 'node:assert/strict';
import { backendNames } from '../src/backend';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser';
import { runNotebooksSmoke } from './support/notebook-runner';

const root = path.join(__dirname, '..');
const out = path.join(root, 'build', 'test-browser');

describe('the HTML export of the executed 00 notebook in headless Chromium', () => {
  let browser: Browser;

  before(() => {
    const run = runNotebooksSmoke(['00-environment'], out);
    assert.equal(run.status, 0, `executing 00-environment failed:\n${run.stdout}\n${run.stderr}`);
  });

  after(async () => {
    await browser?.close();
  });

  it('draws the Plotly figure as SVG, shows the table, and logs no console error', async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    // The export must work offline: any request that leaves the file system is a failure.
    await page.route(/^(?!file:|data:|blob:)/, async (route) => {
      problems.push(`network request: ${route.request().url()}`);
      await route.abort();
    });
    await page.goto(`file://${path.join(out, '00-environment.html')}`, { waitUntil: 'load', timeout: 120_000 });
    await page.waitForSelector('.replearn-figure .main-svg', { timeout: 60_000 });

    const figure = await page.evaluate(() => {
      const el = document.querySelector('.replearn-figure');
      return {
        svgs: el?.querySelectorAll('svg.main-svg').length ?? 0,
        points: el?.querySelectorAll('.scatterlayer .point').length ?? 0,
        xTitle: el?.querySelector('.g-xtitle')?.textContent ?? '',
        yTitle: el?.querySelector('.g-ytitle')?.textContent ?? '',
      };
    });
    assert.ok(figure.svgs > 0, 'the figure has Plotly SVG');
    assert.ok(figure.points >= 4, `the curve's points are drawn (${figure.points})`);
    assert.match(figure.xTitle, /matrix size n/);
    assert.match(figure.yTitle, /GFLOP\/s/);

    const table = await page.evaluate(() => {
      const el = document.querySelector('table.replearn-table');
      return { headers: Array.from(el?.querySelectorAll('thead th') ?? []).map((th) => th.textContent), rows: el?.querySelectorAll('tbody tr').length ?? 0 };
    });
    assert.deepEqual(table.headers, ['backend', 'outcome', 'ms per probe step', 'reason']);
    assert.equal(table.rows, backendNames.length, 'one row per backend');
    await page.locator('.replearn-figure').screenshot({ path: path.join(out, '00-environment.figure.png') });
    assert.deepEqual(problems, []);
  });
});
