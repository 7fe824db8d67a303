// JupyterLab as students use it: the README's command starts it, Debian's headless Chromium opens
// notebooks 00 and 02 (smoke profile), runs every cell through the Run menu, and the test reads the
// kernel's execute replies, the drawn figures, images and tables, and the console. The saved
// notebooks are then opened again by a second server that does not know their signatures
// (untrusted, as on another machine) and their figures must still draw. Screenshots go to build/ui/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { plotlyLibraryMarker } from '../src/notebook/figure';
import { launchChromium } from './support/browser';
import { runNotebooksSmoke } from './support/notebook-runner';
import { startJupyterLab, type JupyterServer } from './support/jupyter-server';
import {
  cells,
  command,
  displayUpdates,
  kernelState,
  openNotebook,
  replies,
  waitFor,
  watchKernel,
  type CellReport,
  type ExecuteReply,
} from './support/jupyterlab-page';

const root = path.join(__dirname, '..');
const shots = path.join(root, 'build', 'ui');
const notebooks = ['00-environment', '02-autoencoders'];

/**
 * Errors that JupyterLab and Notebook 7 raise themselves, not our outputs (matched on the message
 * and, where given, on the bundle the stack starts in):
 * - the debugger panel asks every kernel for a debug session, and tslab has none;
 * - Notebook 7.6's keyboard-shortcut settings handler reads the schema of a plugin Notebook does
 *   not load, when the settings registry reports a change at start-up.
 */
const jupyterLabNoise: { message: RegExp; stack?: RegExp }[] = [
  { message: /No active debugger session/ },
  { message: /^Cannot read properties of undefined \(reading 'schema'\)$/, stack: /^\s+at \S*\/static\/notebook\/notebook_core\.[0-9a-f]+\.js/ },
];

function isNoise(message: string, stack = ''): boolean {
  const firstFrame = stack.split('\n').find((line) => /^\s+at /.test(line)) ?? '';
  return jupyterLabNoise.some((noise) => noise.message.test(message) && (noise.stack === undefined || noise.stack.test(firstFrame)));
}


/** Clicks Run > Run All Cells and waits for a reply to every non-empty code cell (or the first failure), then for an idle kernel. */
async function runAllCells(page: Page, timeoutMs: number): Promise<ExecuteReply[]> {
  const codeCells = (await cells(page)).filter((cell) => cell.type === 'code' && cell.firstLine.trim() !== '').length;
  await watchKernel(page);
  await page.locator('.lm-MenuBar-itemLabel', { hasText: /^Run$/ }).click();
  await page.locator('.lm-Menu-itemLabel', { hasText: /^Run All Cells$/ }).click();
  return waitFor('an execute reply and all outputs for every cell', timeoutMs, async () => {
    const got = await replies(page);
    const finished = got.length >= codeCells || got.some((reply) => reply.status !== 'ok');
    return finished && got.every((reply) => reply.complete) ? got : false;
  });
}

/** Waits until every Plotly output of the notebook drew its SVG; returns the cells. */
async function waitForFigures(page: Page, expected: number): Promise<CellReport[]> {
  return waitFor(`${expected} Plotly figures to draw`, 60_000, async () => {
    const report = await cells(page);
    const drawn = report.flatMap((cell) => cell.rendered).filter((output) => output.mime === 'plotly' && output.plotlySvgs > 0).length;
    return drawn >= expected ? report : false;
  });
}

function plotlyOutputs(report: CellReport[]): number {
  return report.flatMap((cell) => cell.outputs).filter((output) => output.mimes.includes('application/vnd.plotly.v1+json')).length;
}

async function screenshotAt(page: Page, selector: string, nth: number, file: string): Promise<void> {
  // Twice: cells above may change height once they come into view.
  for (let i = 0; i < 2; i += 1) {
    const found = (await page.evaluate(`window.__replearn.scrollToOutput(${JSON.stringify(selector)}, ${nth})`)) as boolean;
    assert.ok(found, `${selector} #${nth} is on the page for the screenshot ${file}`);
    await page.waitForTimeout(500);
  }
  await page.screenshot({ path: path.join(shots, file) });
}

describe('JupyterLab with the tslab kernel in headless Chromium', () => {
  const runDir = path.join(root, 'build', 'ui-test');
  // Inside the project, so that `import ... from 'replearn'` in the copied notebooks resolves.
  const notebookDir = path.join(runDir, 'notebooks');
  let browser: Browser | undefined;
  const servers: JupyterServer[] = [];
  // Console problems of the current test, and its pages (closed after it, even when it fails).
  const problems: string[] = [];
  const pages: Page[] = [];

  async function newPage(): Promise<Page> {
    assert.ok(browser);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    pages.push(page);
    page.on('console', (message) => {
      if (message.type() === 'error' && !isNoise(message.text())) problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => {
      if (!isNoise(error.message, error.stack)) problems.push(`page error: ${error.message}\n${(error.stack ?? "").split("\n").slice(1, 4).join("\n")}`);
    });
    return page;
  }

  async function server(stateName: string, app: 'lab' | 'notebook' = 'lab'): Promise<JupyterServer> {
    const started = await startJupyterLab(notebookDir, path.join(runDir, stateName), { REPLEARN_PROFILE: 'smoke' }, app);
    servers.push(started);
    return started;
  }

  before(async () => {
    fs.rmSync(runDir, { recursive: true, force: true });
    fs.mkdirSync(notebookDir, { recursive: true });
    fs.mkdirSync(shots, { recursive: true });
    for (const name of notebooks) fs.copyFileSync(path.join(root, 'notebooks', `${name}.ipynb`), path.join(notebookDir, `${name}.ipynb`));
    browser = await launchChromium();
  });

  beforeEach(() => {
    problems.length = 0;
  });

  afterEach(async () => {
    // Pages close before any server they talk to stops, so no test sees another's connection errors.
    for (const page of pages.splice(0)) if (!page.isClosed()) await page.close();
  });

  after(async () => {
    await browser?.close();
    // Every server this test started is stopped, whatever happened.
    await Promise.all(servers.map((s) => s.stop()));
  });

  let lab: JupyterServer;

  for (const name of notebooks) {
    it(`${name}: opens with the TypeScript kernel, runs all cells through the Run menu, draws its figures`, async (t) => {
      lab ??= await server('state-first');
      const page = await newPage();
      const kernel = await openNotebook(page, `${lab.base}/lab/tree/${name}.ipynb?reset&token=${lab.token}`);
      assert.equal(kernel.kernelName, 'tslab');
      assert.equal(kernel.displayName, 'TypeScript');
      assert.equal(await page.locator('.jp-Dialog').count(), 0, 'no kernel dialog');

      const started = Date.now();
      const got = await runAllCells(page, 10 * 60_000);
      t.diagnostic(`${name}: ${got.length} cells ran in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      assert.deepEqual(got.filter((reply) => reply.status !== 'ok'), [], 'every execute reply is ok');
      const report = await waitForFigures(page, plotlyOutputs(await cells(page)));
      const codeCells = report.filter((cell) => cell.type === 'code' && cell.firstLine.trim() !== '');
      assert.equal(got.length, codeCells.length, 'one reply per code cell');

      // Figures: each Plotly output is drawn by the Plotly renderer as SVG.
      const figures = report.flatMap((cell) => cell.rendered).filter((output) => output.mime === 'plotly');
      assert.ok(figures.length >= 1, `the notebook shows at least one figure: ${JSON.stringify(report.map((c) => [c.outputs.map((o) => o.mimes), c.rendered.map((r) => [r.mime, r.plotlySvgs])]))}`);
      assert.equal(figures.length, plotlyOutputs(report), 'every Plotly output is drawn by the Plotly renderer');
      assert.ok(figures.every((figure) => figure.plotlySvgs > 0));
      // Images (PNG grids) loaded, tables rendered.
      const images = report.flatMap((cell) => cell.rendered).filter((output) => output.images > 0);
      assert.ok(images.every((image) => image.imagesLoaded === image.images), 'every image loaded');
      assert.ok(report.some((cell) => cell.rendered.some((output) => output.tables > 0)), 'a table is shown');
      // Progress lines update in place: one output each, however long the run.
      for (const cell of report) {
        const progress = cell.outputs.filter((output) => /^(epoch \d+\/\d+|trained epochs|timed \d+ sizes)/.test(output.text));
        assert.ok(progress.length <= 1, `cell ${cell.index} shows one progress line, not ${progress.length}`);
        assert.ok(cell.outputs.length <= 6, `cell ${cell.index} has ${cell.outputs.length} outputs`);
      }
      assert.ok((await displayUpdates(page)) > 0, 'progress lines were updated in place (update_display_data)');
      if (name === '02-autoencoders') {
        assert.ok(images.length >= 1, '02 shows its reconstruction grid');
        await screenshotAt(page, '.jp-OutputArea-output img', 0, `${name}-grid.png`);
        await screenshotAt(page, '.js-plotly-plot', 2, `${name}-codes.png`);
      }
      await screenshotAt(page, '.js-plotly-plot', 0, `${name}.png`);

      await command(page, 'docmanager:save');
      await waitFor('the notebook to be saved', 30_000, async () => ((await kernelState(page)).dirty === false ? true : false));
      const saved = fs.readFileSync(path.join(notebookDir, `${name}.ipynb`), 'utf8');
      t.diagnostic(`${name}: saved notebook ${(saved.length / 1e6).toFixed(1)} MB`);
      assert.ok(saved.split(plotlyLibraryMarker).length - 1 <= 1, 'plotly.js is inlined at most once per notebook');
      await page.close();
      assert.deepEqual(problems, [], 'no console errors');
    });
  }

  it('a failing cell shows the TypeScript error and the runtime error readably', async () => {
    lab ??= await server('state-first');
    const source = (lines: string[]) => ({ cell_type: 'code', execution_count: null, id: `c${lines.length}${lines[0].length}`, metadata: {}, outputs: [], source: lines.join('\n') });
    const nb = {
      cells: [source(["const count: number = 'three';"]), source(['function fail(): never {', "  throw new Error('a runtime error raised on purpose');", '}', 'fail();'])],
      metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' }, language_info: { name: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    fs.writeFileSync(path.join(notebookDir, 'errors.ipynb'), JSON.stringify(nb, null, 1));
    const page = await newPage();
    await openNotebook(page, `${lab.base}/lab/tree/errors.ipynb?reset&token=${lab.token}`);
    const first = await runAllCells(page, 120_000);
    assert.equal(first[0]?.status, 'error', 'the type error fails its cell');
    // Run All stops there: tslab aborts the rest, and every request that arrives in the next 200 ms.
    // Run the second cell on its own: click its prompt, then Shift+Enter; once more if it was aborted.
    let second: ExecuteReply | undefined;
    for (let attempt = 0; attempt < 3 && second === undefined; attempt += 1) {
      await page.waitForTimeout(500);
      const before = (await replies(page)).length;
      await page.locator('.jp-Cell .jp-InputPrompt').nth(1).click();
      await page.keyboard.press('Shift+Enter');
      const reply = await waitFor('the second cell to run', 60_000, async () => {
        const got = (await replies(page)).slice(before);
        return got.length > 0 && got[0].complete ? got[0] : false;
      }).catch(async (error: Error) => {
        throw new Error(`${error.message}; replies: ${JSON.stringify(await replies(page))}`);
      });
      if (reply.status !== 'abort') second = reply;
    }
    assert.ok(second, 'the second cell ran');
    assert.equal(second.firstLine, 'function fail(): never {');
    assert.equal(second.status, 'error', 'the thrown error fails its cell');
    const report = await waitFor('both error messages to show', 30_000, async () => {
      const now = await cells(page);
      return now[0].rendered.length > 0 && now[1].rendered.length > 0 ? now : false;
    });
    const typeError = report[0].rendered.map((output) => output.text).join('');
    const runtimeError = report[1].rendered.map((output) => output.text).join('');
    assert.match(typeError, /1:7 - Type 'string' is not assignable to type 'number'/);
    assert.match(runtimeError, /Error: a runtime error raised on purpose/);
    for (const text of [typeError, runtimeError]) assert.doesNotMatch(text, /\u001b\[/, 'no raw terminal escape codes');
    assert.ok(report.every((cell) => cell.rendered.every((output) => output.mime === 'application/vnd.jupyter.stderr')), 'errors show as stderr');
    await page.locator('.jp-Cell').nth(0).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'errors.png') });
    await page.close();
    fs.rmSync(path.join(notebookDir, 'errors.ipynb'));
    assert.deepEqual(problems, [], 'no console errors');
  });

  it('Notebook 7 (npm run notebook) opens 00 with the TypeScript kernel and runs it through the Run menu', async () => {
    const dir = path.join(notebookDir, 'notebook7');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(root, 'notebooks', '00-environment.ipynb'), path.join(dir, '00-environment.ipynb'));
    const classic = await server('state-notebook7', 'notebook');
    const page = await newPage();
    const kernel = await openNotebook(page, `${classic.base}/notebooks/notebook7/00-environment.ipynb?token=${classic.token}`);
    assert.equal(kernel.displayName, 'TypeScript');
    assert.equal(await page.locator('.jp-Dialog').count(), 0, 'no kernel dialog');
    const got = await runAllCells(page, 5 * 60_000);
    assert.deepEqual(got.filter((reply) => reply.status !== 'ok'), [], 'every execute reply is ok');
    const report = await waitForFigures(page, plotlyOutputs(await cells(page)));
    assert.ok(report.flatMap((cell) => cell.rendered).some((output) => output.mime === 'plotly' && output.plotlySvgs > 0), 'the figure draws');
    await screenshotAt(page, '.js-plotly-plot', 0, '00-environment-notebook7.png');
    await page.close();
    await classic.stop();
    assert.deepEqual(problems, [], 'no console errors');
  });

  it('the saved notebooks, opened again untrusted by a new server, still show their figures, images and tables', async () => {
    assert.ok(lab, 'the notebooks ran first');
    await lab.stop();
    // 00 executed headlessly by the notebook runner (nbconvert), as a student gets it from `npm run notebooks`.
    const executed = path.join(runDir, 'executed');
    const run = runNotebooksSmoke(['00-environment'], executed);
    assert.equal(run.status, 0, `the runner failed:\n${run.stdout}\n${run.stderr}`);
    fs.copyFileSync(path.join(executed, '00-environment.ipynb'), path.join(notebookDir, '00-environment-runner.ipynb'));

    // A new Jupyter data folder means a new notary secret: the saved signatures are unknown, as on another machine.
    const reopened = await server('state-reopened');
    for (const name of [...notebooks, '00-environment-runner']) {
      const page = await newPage();
      await openNotebook(page, `${reopened.base}/lab/tree/${name}.ipynb?reset&token=${reopened.token}`);
      const first = await cells(page);
      assert.ok(first.filter((cell) => cell.type === 'code').every((cell) => !cell.trusted), `${name} opens untrusted`);
      const expected = plotlyOutputs(first);
      assert.ok(expected >= 1, `${name} was saved with its figures`);
      const report = await waitFor(`${expected} figures in ${name} to show`, 60_000, async () => {
        const now = await cells(page);
        const shown = now.flatMap((cell) => cell.rendered).filter((output) => output.mime === 'plotly' && (output.plotlySvgs > 0 || output.plotlySnapshot));
        return shown.length >= expected ? now : false;
      });
      const rendered = report.flatMap((cell) => cell.rendered);
      const figures = rendered.filter((output) => output.mime === 'plotly');
      assert.equal(figures.length, expected, 'the Plotly renderer shows every figure');
      if (name.endsWith('-runner')) {
        // No snapshot in a headlessly executed notebook: the renderer draws the figure itself, untrusted.
        assert.ok(figures.every((figure) => figure.plotlySvgs > 0), 'the figures are drawn live');
      } else {
        // Saved from JupyterLab, each figure carries the PNG snapshot its renderer made; that is what it shows until the cell runs again.
        assert.ok(figures.every((figure) => figure.plotlySnapshot || figure.plotlySvgs > 0), 'the figures show');
      }
      assert.ok(rendered.filter((output) => output.images > 0).every((output) => output.imagesLoaded === output.images), 'every image loads');
      assert.ok(rendered.some((output) => output.tables > 0), 'tables show');
      await screenshotAt(page, '.jp-RenderedPlotly', 0, `${name}-reopened.png`);
      await page.close();
    }
    assert.deepEqual(problems, [], 'no console errors');
  });
});
