import * as fs from 'fs';
import { randomUUID } from 'crypto';
import type { FigureSpec } from '../viz/figure-spec';
import { emit, escapeHtml } from './display';

/** The MIME type JupyterLab's Plotly renderer draws. */
export const plotlyMimeType = 'application/vnd.plotly.v1+json';

let plotlyInlined = false;

/**
 * Forgets that plotly.js was already sent, so the next figure carries it again; call it when the
 * output that held it was cleared.
 */
export function resetPlotlyLibrary(): void {
  plotlyInlined = false;
}

/** JSON that is safe inside a `<script>` element (no `</script>`, no HTML comment openers). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * plotly.js from the plotly.js-dist package, wrapped so that it always sets `window.Plotly`: with
 * `define`, `module` and `exports` shadowed, its UMD header cannot register it with require.js
 * (classic Notebook) or CommonJS instead.
 */
function plotlyLibraryScript(): string {
  const source = fs.readFileSync(require.resolve('plotly.js-dist'), 'utf8');
  if (/<\/script/i.test(source)) throw new Error('plotly.js-dist contains "</script" and cannot be inlined');
  return `<script type="text/javascript">(function (define, module, exports) {\n${source}\n}).call(window, undefined, undefined, undefined);</script>`;
}

/**
 * The `text/html` fallback: a div and a script that draws into it once `window.Plotly` exists
 * (the library may be in an earlier output, still loading, or in this one).
 */
export function figureHtml(figure: FigureSpec, includeLibrary: boolean): string {
  const id = `replearn-figure-${randomUUID()}`;
  const height = typeof figure.layout.height === 'number' ? figure.layout.height : 420;
  const spec = { data: figure.data, layout: figure.layout, config: { responsive: true, displaylogo: false, ...(figure.config ?? {}) } };
  const draw = [
    '(function () {',
    `  var id = ${scriptJson(id)};`,
    `  var spec = ${scriptJson(spec)};`,
    '  var tries = 0;',
    '  function draw() {',
    '    var el = document.getElementById(id);',
    '    if (!el) return;',
    '    if (window.Plotly) { window.Plotly.newPlot(el, spec.data, spec.layout, spec.config); return; }',
    '    if (++tries > 600) { el.textContent = "plotly.js was not loaded: run the notebook from the top to see this figure."; return; }',
    '    setTimeout(draw, 50);',
    '  }',
    '  draw();',
    '})();',
  ].join('\n');
  const library = includeLibrary ? plotlyLibraryScript() : '';
  return `${library}<div id="${escapeHtml(id)}" class="replearn-figure" style="width:100%;height:${height}px;"></div>\n<script type="text/javascript">\n${draw}\n</script>`;
}

/** A one-line text description of a figure, for front ends that show neither Plotly nor HTML. */
export function figureText(figure: FigureSpec): string {
  const traces = figure.data.map((trace) => `${trace.name ?? trace.type} (${trace.type}, ${trace.z !== undefined ? `${trace.z.length} rows` : `${trace.y?.length ?? 0} points`})`);
  return `Figure: ${figure.layout.title.text}; x: ${figure.layout.xaxis.title.text}; y: ${figure.layout.yaxis.title.text}; ${traces.join(', ')}`;
}

/**
 * Shows a Plotly figure as one output holding the Plotly JSON (drawn by JupyterLab's renderer), a
 * `text/html` fallback (Notebook without the renderer, the HTML export) and `text/plain`. The
 * first figure of a kernel session carries plotly.js itself (about 11 MB), so the notebook works
 * offline; later figures reuse it.
 */
export function showFigure(figure: FigureSpec): void {
  const includeLibrary = !plotlyInlined;
  const html = figureHtml(figure, includeLibrary);
  emit({
    data: {
      [plotlyMimeType]: { data: figure.data, layout: figure.layout, config: figure.config ?? {} },
      'text/html': html,
      'text/plain': figureText(figure),
    },
    metadata: {},
  });
  plotlyInlined = true;
}
