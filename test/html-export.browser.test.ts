import assert from 'node:assert/strict';
import { backendNames } from '../src/backend';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { formulas, readNotebook, text } from './support/markdown-math';
import { runNotebooksSmoke } from './support/notebook-runner';

const root = path.join(__dirname, '..');
const out = path.join(root, 'build', 'test-browser');

describe('the HTML export of the executed 00 notebook in headless Chromium', () => {
  let browser: Browser | undefined;

  before(() => {
    const run = runNotebooksSmoke(['00-environment'], out);
    assert.equal(run.status, 0, `executing 00-environment failed:\n${run.stdout}\n${run.stderr}`);
  });

  after(async () => {
    await browser?.close();
  });

  /** Opens the export from a file:// URL with every request off the file system refused; `problems` collects console errors, page errors and such requests. */
  async function openExport(): Promise<{ page: Page; problems: string[] }> {
    browser ??= await launchChromium();
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
    return { page, problems };
  }

  it('the executed copy numbers the code cells 1, 2, ... in execution order, as a run in JupyterLab does', () => {
    const cells = readNotebook(path.join(out, '00-environment.ipynb')).cells.filter((cell) => cell.cell_type === 'code');
    const run = cells.filter((cell) => text(cell.source).trim() !== '');
    assert.ok(run.length > 0);
    assert.deepEqual(run.map((cell) => cell.execution_count), run.map((_cell, i) => i + 1));
    assert.ok(cells.every((cell) => text(cell.source).trim() !== '' || cell.execution_count === null), 'a blank cell is not run and has no number');
    for (const cell of run) {
      for (const output of (cell.outputs ?? []).filter((o) => o.output_type === 'execute_result')) assert.equal(output.execution_count, cell.execution_count);
    }
  });

  it('draws the Plotly figure as SVG, shows the table, and logs no console error', async () => {
    const { page, problems } = await openExport();
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

  it('renders the formulas of the prose with KaTeX and its inlined fonts, leaves no $ in the prose, numbers the input prompts, and logs no console error', async () => {
    const { page, problems } = await openExport();
    const markdown = readNotebook(path.join(root, 'notebooks', '00-environment.ipynb')).cells.filter((cell) => cell.cell_type === 'markdown');
    const expected = markdown.reduce((sum, cell) => sum + formulas(text(cell.source)).found.length, 0);
    assert.ok(expected > 0, 'the 00 notebook has formulas');
    await page.evaluate(() => document.fonts.ready);
    const seen = await page.evaluate(() => ({
      formulas: document.querySelectorAll('.jp-MarkdownCell .katex').length,
      errors: Array.from(document.querySelectorAll('.katex-error')).map((el) => el.textContent ?? ''),
      katexFonts: (() => {
        let loaded = 0;
        document.fonts.forEach((face) => {
          if (face.family.replace(/"/g, '').startsWith('KaTeX_') && face.status === 'loaded') loaded += 1;
        });
        return loaded;
      })(),
      // The prose of each markdown cell without its formulas and its code spans (code may hold a $).
      strayDollars: Array.from(document.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown'))
        .map((el) => {
          const copy = el.cloneNode(true) as HTMLElement;
          copy.querySelectorAll('.katex, code, pre').forEach((node) => node.remove());
          return copy.textContent ?? '';
        })
        .filter((prose) => prose.includes('$')),
      prompts: Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')).map((el) => (el.textContent ?? '').replace(/\s+/g, ' ')),
      katexScripts: Array.from(document.scripts).filter((script) => script.text.includes('KaTeX parse error')).length,
    }));
    assert.equal(seen.formulas, expected, 'every formula of the prose is rendered');
    assert.deepEqual(seen.errors, [], 'KaTeX rendered every formula without an error');
    assert.ok(seen.katexFonts > 0, 'the KaTeX fonts load from the page itself');
    assert.deepEqual(seen.strayDollars, [], 'no raw $ delimiter is left in the prose');
    assert.ok(seen.prompts.length > 0);
    assert.deepEqual(seen.prompts, seen.prompts.map((_prompt, i) => `In [${i + 1}]:`));
    assert.equal(seen.katexScripts, 1, 'KaTeX is inlined once');
    await page.locator('.jp-MarkdownCell', { hasText: 'A self-check of the backend' }).screenshot({ path: path.join(out, '00-environment.math.png') });
    assert.deepEqual(problems, []);
  });
});
