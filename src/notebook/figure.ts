import * as fs from 'fs';
import { randomUUID } from 'crypto';
import { gzipSync } from 'zlib';
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

/**
 * JSON that is safe inside a `<script>` element: no `</` (so no `</script>`) and no `<!` (so no
 * HTML comment opener, which could make a later `</script>` not end the element). Other `<`, such
 * as the `<br>` of hover labels, stay as they are: escaping every `<` and `>` made a figure of
 * hover texts half as large again.
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/<(?=[/!])/g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The attribute that marks the script carrying plotly.js (at most one per notebook). */
export const plotlyLibraryMarker = 'data-replearn-plotly-library';

let libraryScript: string | null = null;

/**
 * plotly.js from the plotly.js-dist package, gzipped and base64-encoded (2.6 MB instead of 11 MB,
 * and no JSON escaping of its source in the notebook file), unpacked in the browser with
 * `DecompressionStream` and evaluated in the global scope. `define`, `module` and `exports` are
 * shadowed so that its UMD header always sets `window.Plotly` instead of registering with
 * require.js (classic Notebook) or CommonJS. Built once per process.
 */
function plotlyLibraryScript(): string {
  if (libraryScript !== null) return libraryScript;
  const source = fs.readFileSync(require.resolve('plotly.js-dist'));
  const wrapped = Buffer.concat([
    Buffer.from('(function (define, module, exports) {\n'),
    source,
    Buffer.from('\n}).call(window, undefined, undefined, undefined);\n'),
  ]);
  const packed = gzipSync(wrapped, { level: 9 }).toString('base64');
  const loader = [
    '(function () {',
    '  if (window.Plotly || window.__replearnPlotlyLoading) return;',
    "  if (typeof DecompressionStream === 'undefined') { window.__replearnPlotlyError = 'this browser cannot unpack plotly.js (it lacks DecompressionStream): use a current Chrome, Edge, Firefox or Safari'; return; }",
    '  window.__replearnPlotlyLoading = true;',
    `  var text = atob(${JSON.stringify(packed)});`,
    '  var bytes = new Uint8Array(text.length);',
    '  for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);',
    "  new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'))).text()",
    '    .then(function (code) { (0, eval)(code); })',
    "    .catch(function (error) { window.__replearnPlotlyError = 'plotly.js could not be unpacked: ' + error; })",
    '    .then(function () { window.__replearnPlotlyLoading = false; });',
    '})();',
  ].join('\n');
  libraryScript = `<script type="text/javascript" ${plotlyLibraryMarker}="gzip+base64">\n${loader}\n</script>`;
  return libraryScript;
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
    '    if (window.__replearnPlotlyError) { el.textContent = window.__replearnPlotlyError; return; }',
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
 * first figure of a kernel session carries plotly.js itself (2.6 MB packed), so the notebook works
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
