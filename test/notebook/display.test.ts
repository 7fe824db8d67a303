import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fs from 'node:fs';
import { deflateSync, gunzipSync } from 'node:zlib';
import { dataFrame } from '../../src/notebook/data-frame';
import { DisplayBundle, escapeHtml, setDisplaySink } from '../../src/notebook/display';
import { figureHtml, plotlyLibraryMarker, plotlyMimeType, resetPlotlyLibrary, showFigure } from '../../src/notebook/figure';
import { pngSize, showPng } from '../../src/notebook/image';
import { formatDuration, formatTrainingProgress, ProgressLine } from '../../src/notebook/progress';
import { showTable } from '../../src/notebook/table';
import { lineChart } from '../../src/viz/line-chart';

let sent: Array<{ bundle: DisplayBundle; update: boolean }> = [];

beforeEach(() => {
  sent = [];
  setDisplaySink((bundle, update) => sent.push({ bundle, update }));
});
afterEach(() => setDisplaySink(null));

const figure = lineChart({ title: 'Loss </script>', xTitle: 'epoch', yTitle: 'loss', curves: [{ name: 'train', y: [2, 1] }] });

describe('showFigure', () => {
  it('sends ONE output with the Plotly JSON, an HTML fallback and plain text', () => {
    resetPlotlyLibrary();
    showFigure(figure);
    assert.equal(sent.length, 1);
    const data = sent[0].bundle.data;
    assert.deepEqual(Object.keys(data).sort(), [plotlyMimeType, 'text/html', 'text/plain'].sort());
    const json = data[plotlyMimeType] as { data: unknown[]; layout: { xaxis: { title: { text: string } } } };
    assert.equal(json.data.length, 1);
    assert.equal(json.layout.xaxis.title.text, 'epoch');
    assert.match(data['text/plain'] as string, /Figure: Loss .*x: epoch; y: loss; train \(scatter, 2 points\)/);
  });

  it('inlines plotly.js in the first figure only, and never lets data close the script element', () => {
    resetPlotlyLibrary();
    showFigure(figure);
    showFigure(figure);
    const first = sent[0].bundle.data['text/html'] as string;
    const second = sent[1].bundle.data['text/html'] as string;
    assert.ok(first.length > 1_000_000, `first figure carries plotly.js (${first.length} chars)`);
    assert.equal(first.split(plotlyLibraryMarker).length - 1, 1, 'one library script');
    assert.equal((first.match(/<\/script>/g) ?? []).length, 2, 'the library script and the drawing script, nothing else closes');
    // The packed payload is plotly.js-dist itself, wrapped so that it sets window.Plotly.
    const packed = /atob\("([A-Za-z0-9+/=]+)"\)/.exec(first);
    assert.ok(packed, 'a base64 payload');
    const code = gunzipSync(Buffer.from(packed[1], 'base64')).toString('utf8');
    assert.ok(code.startsWith('(function (define, module, exports) {\n'));
    assert.ok(code.trimEnd().endsWith('}).call(window, undefined, undefined, undefined);'));
    assert.ok(code.includes(fs.readFileSync(require.resolve('plotly.js-dist'), 'utf8')), 'the whole of plotly.js-dist');
    assert.ok(second.length < 10_000, `second figure does not (${second.length} chars)`);
    assert.match(second, /window\.Plotly\.newPlot/);
    assert.equal((second.match(/<\/script>/g) ?? []).length, 1, 'the title\'s "</script>" is escaped inside the script');
    assert.match(second, /Loss \\u003c\/script>/);
    const commented = figureHtml(lineChart({ title: 'a <!-- b <br> c', xTitle: 'x', yTitle: 'y', curves: [{ name: 't', y: [1] }] }), false);
    assert.ok(!commented.includes('<!--'), 'no HTML comment opener inside the script');
    assert.match(commented, /a \\u003c!-- b <br> c/, 'the comment opener escaped, a line break kept as it is');
  });
});

describe('showTable', () => {
  it('renders a danfojs DataFrame as an escaped HTML table with a text twin', () => {
    const df = dataFrame({ model: ['AE', '<PCA>'], error: [0.012345678, 0.5], dim: [2, 16] });
    showTable(df, { caption: 'Errors & sizes', digits: 3 });
    const html = sent[0].bundle.data['text/html'] as string;
    assert.match(html, /<th>model<\/th><th>error<\/th><th>dim<\/th>/);
    assert.match(html, /<td>&lt;PCA&gt;<\/td><td>0\.5<\/td><td>16<\/td>/);
    assert.match(html, /<td>0\.0123<\/td>/);
    assert.match(html, /Errors &amp; sizes/);
    const text = sent[0].bundle.data['text/plain'] as string;
    assert.match(text, /^model  error   dim\nAE     0\.0123  2/);
  });

  it('accepts records, limits rows, and rejects what is not a table', () => {
    showTable([{ a: 1 }, { a: 2, b: 'x' }, { a: 3 }], { maxRows: 2 });
    const html = sent[0].bundle.data['text/html'] as string;
    assert.match(html, /<th>a<\/th><th>b<\/th>/);
    assert.match(html, /1 more rows not shown/);
    assert.throws(() => showTable('nope' as never), /expects a danfojs DataFrame or an array of records, got string/);
    assert.throws(() => dataFrame({ a: [1, 2], b: [1] }), /column "b" has 1 values, expected 2/);
  });

  it('escapes every HTML special character', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

function tinyPng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer): number => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, body: Buffer): Buffer => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, 'ascii'), body]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(typed));
    return Buffer.concat([head, typed, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  const raw = Buffer.alloc((width + 1) * height, 0);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('showPng', () => {
  it('sends base64 PNG with its size in the text and the display width', () => {
    const png = tinyPng(3, 2);
    assert.deepEqual(pngSize(png), { width: 3, height: 2 });
    showPng(new Uint8Array(png), { alt: 'digits', width: 120 });
    const bundle = sent[0].bundle;
    assert.equal(Buffer.from(bundle.data['image/png'] as string, 'base64').compare(png), 0);
    assert.equal(bundle.data['text/plain'], 'digits (PNG 3x2)');
    assert.deepEqual(bundle.metadata, { 'image/png': { width: 120 } });
  });

  it('rejects bytes that are not a PNG', () => {
    assert.throws(() => showPng(new Uint8Array(30), { alt: 'x' }), /bytes are not a PNG/);
  });
});

describe('ProgressLine', () => {
  it('updates one display in place, throttled, and always shows the final text', () => {
    let t = 0;
    const line = new ProgressLine({ minIntervalMs: 100, now: () => t });
    line.update('a');
    t = 50;
    line.update('b');
    t = 150;
    line.update('c');
    line.update('d', true);
    line.done('finished');
    assert.deepEqual(sent.map((s) => s.bundle.data['text/plain']), ['a', 'c', 'd', 'finished']);
    assert.deepEqual(sent.map((s) => s.update), [false, true, true, true]);
    const ids = new Set(sent.map((s) => s.bundle.transient?.display_id));
    assert.equal(ids.size, 1);
    assert.ok([...ids][0]);
    assert.throws(() => line.update('late'), /after done/);
  });

  it('formats training progress and durations', () => {
    assert.equal(
      formatTrainingProgress({ epoch: 3, epochs: 10, batch: 12, batches: 469, loss: 0.031234, samplesPerSecond: 2150.4, secondsLeft: 65 }),
      'epoch 3/10  batch  12/469  loss 0.03123  2,150 samples/s  1m05s left',
    );
    assert.equal(formatDuration(3725), '1h02m');
    assert.equal(formatDuration(9.6), '10s');
    assert.equal(formatDuration(Number.NaN), '?');
  });
});
