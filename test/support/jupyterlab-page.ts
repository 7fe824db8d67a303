import type { Page } from 'playwright-core';

/** What the test reads back about one cell of the open notebook (no payloads: they can be megabytes). */
export interface CellReport {
  index: number;
  type: string;
  trusted: boolean;
  firstLine: string;
  outputs: { outputType: string; mimes: string[]; text: string }[];
  /** Rendered output areas: their MIME type and what they hold. */
  rendered: {
    mime: string;
    /** SVG layers of a live Plotly figure (0 when it is not drawn or shows its snapshot). */
    plotlySvgs: number;
    /** The Plotly renderer shows the PNG snapshot it stored in the notebook when the figure was drawn. */
    plotlySnapshot: boolean;
    images: number;
    imagesLoaded: number;
    tables: number;
    text: string;
  }[];
}

export interface ExecuteReply {
  status: string;
  executionCount: number | null;
  firstLine: string;
  error: string;
  /** The kernel went idle for this request: every output of the cell arrived. */
  complete: boolean;
}

/**
 * Browser-side helpers, installed as `window.__replearn` (a plain script, so that nothing the test
 * compiler adds to functions reaches the page). They use the application object that
 * `--LabApp.expose_app_in_browser` publishes as `window.jupyterapp`; JupyterLab and Notebook 7 both
 * keep the open notebook panel in `app.shell.currentWidget`.
 */
const helpers = String.raw`
window.__replearn = {
  panel: function () {
    var app = window.jupyterapp;
    if (!app || !app.shell) return null;
    var w = app.shell.currentWidget;
    return w && w.content && w.sessionContext ? w : null;
  },
  kernelState: function () {
    var p = this.panel();
    if (!p) return { ready: false };
    var s = p.sessionContext;
    var k = s.session && s.session.kernel;
    return { ready: !!k, status: k ? k.status : 'none', kernelName: k ? k.name : '', displayName: s.kernelDisplayName || '', dirty: p.context.model.dirty };
  },
  watch: function () {
    var p = this.panel();
    var kernel = p.sessionContext.session.kernel;
    var log = { replies: [], requests: {}, updates: 0, idle: {} };
    window.__replearnLog = log;
    kernel.anyMessage.connect(function (_, args) {
      var m = args.msg;
      if (args.direction === 'send' && m.header.msg_type === 'execute_request') {
        log.requests[m.header.msg_id] = String(m.content.code).split('\n')[0];
      }
      if (args.direction === 'recv' && m.header.msg_type === 'update_display_data') log.updates += 1;
      // The request's last message: all its outputs arrived (iopub and shell are not ordered).
      if (args.direction === 'recv' && m.header.msg_type === 'status' && m.content.execution_state === 'idle' && m.parent_header) {
        log.idle[m.parent_header.msg_id] = true;
      }
      if (args.direction === 'recv' && m.header.msg_type === 'execute_reply') {
        var c = m.content;
        log.replies.push({
          msgId: m.parent_header.msg_id,
          status: c.status,
          executionCount: c.execution_count === undefined ? null : c.execution_count,
          firstLine: log.requests[m.parent_header.msg_id] || '?',
          error: c.status === 'ok' ? '' : String(c.ename || '') + ': ' + String(c.evalue || ''),
        });
      }
    });
    return true;
  },
  replies: function () {
    var log = window.__replearnLog;
    if (!log) return [];
    return log.replies.map(function (r) {
      return { status: r.status, executionCount: r.executionCount, firstLine: r.firstLine, error: r.error, complete: !!log.idle[r.msgId] };
    });
  },
  displayUpdates: function () {
    return window.__replearnLog ? window.__replearnLog.updates : 0;
  },
  command: function (id) {
    return window.jupyterapp.commands.execute(id).then(function () { return true; });
  },
  cells: function () {
    var p = this.panel();
    return p.content.widgets.map(function (cell, index) {
      var model = cell.model;
      var outputs = [];
      if (model.type === 'code') {
        for (var j = 0; j < model.outputs.length; j++) {
          var o = model.outputs.get(j).toJSON();
          var text = o.text !== undefined ? o.text : o.data && o.data['text/plain'] !== undefined ? o.data['text/plain'] : '';
          if (Array.isArray(text)) text = text.join('');
          outputs.push({ outputType: o.output_type, mimes: o.data ? Object.keys(o.data) : [], text: String(text).slice(0, 2000) });
        }
      }
      var rendered = Array.prototype.map.call(cell.node.querySelectorAll('.jp-OutputArea-output'), function (el) {
        // JupyterLab's Plotly renderer draws the figure, or shows the PNG snapshot it saved with it.
        var plotly = el.classList.contains('jp-RenderedPlotly');
        var container = el.querySelector('.plot-container');
        var live = plotly && container !== null && container.style.display !== 'none';
        var snapshot = plotly ? el.querySelector('img.plot-img') : null;
        var imgs = plotly ? [] : el.querySelectorAll('img');
        var loaded = Array.prototype.filter.call(imgs, function (img) { return img.complete && img.naturalWidth > 0; }).length;
        return {
          mime: plotly ? 'plotly' : el.getAttribute('data-mime-type') || '',
          plotlySvgs: live ? el.querySelectorAll('svg.main-svg').length : 0,
          plotlySnapshot: !!(snapshot && snapshot.style.display !== 'none' && snapshot.complete && snapshot.naturalWidth > 0),
          images: imgs.length,
          imagesLoaded: loaded,
          tables: el.querySelectorAll('table').length,
          text: (el.textContent || '').slice(0, 2000),
        };
      });
      return { index: index, type: model.type, trusted: !!model.trusted, firstLine: model.sharedModel.getSource().split('\n')[0], outputs: outputs, rendered: rendered };
    });
  },
  scrollToOutput: function (selector, nth) {
    var els = document.querySelectorAll(selector);
    var el = els[nth || 0];
    if (!el) return false;
    el.scrollIntoView({ block: 'start' });
    return true;
  },
};
true;
`;

export async function installHelpers(page: Page): Promise<void> {
  await page.evaluate(helpers);
}

export async function kernelState(page: Page): Promise<{ ready: boolean; status?: string; kernelName?: string; displayName?: string; dirty?: boolean }> {
  return page.evaluate('window.__replearn ? window.__replearn.kernelState() : { ready: false }');
}

export async function cells(page: Page): Promise<CellReport[]> {
  return page.evaluate('window.__replearn.cells()');
}

export async function replies(page: Page): Promise<ExecuteReply[]> {
  return page.evaluate('window.__replearn.replies()');
}

/** How many `update_display_data` messages (in-place output updates) the kernel sent since `watch()`. */
export async function displayUpdates(page: Page): Promise<number> {
  return page.evaluate('window.__replearn.displayUpdates()');
}

/** Runs a JupyterLab command by id (for example `docmanager:save`). */
export async function command(page: Page, id: string): Promise<void> {
  await page.evaluate(`window.__replearn.command(${JSON.stringify(id)})`);
}

/** Starts recording the kernel's execute replies and display updates. */
export async function watchKernel(page: Page): Promise<void> {
  await page.evaluate('window.__replearn.watch()');
}

/** Waits until `check` returns a value that is not false/null, polling every 250 ms. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | false | null>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value !== false && value !== null) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Opens `url`, waits for the notebook panel and its kernel (without any kernel dialog), and installs
 * the helpers. Returns the kernel state.
 */
export async function openNotebook(page: Page, url: string): Promise<{ kernelName?: string; displayName?: string }> {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await waitFor('window.jupyterapp', 120_000, async () => (await page.evaluate('!!(window.jupyterapp && window.jupyterapp.shell)')) as boolean);
  await installHelpers(page);
  return waitFor('the notebook kernel to be idle', 120_000, async () => {
    const state = await kernelState(page);
    return state.ready && state.status === 'idle' ? state : false;
  });
}
