import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heatmap } from '../../src/viz/heatmap';
import { binCounts, histogram } from '../../src/viz/histogram';
import { weightImages } from '../../src/viz/image-grid';
import { lineChart } from '../../src/viz/line-chart';
import { digitHoverArt, scatterByLabel, scatterPanels } from '../../src/viz/scatter';

const titles = { title: 'T', xTitle: 'epoch', yTitle: 'loss' };

describe('lineChart', () => {
  it('makes one titled trace per curve, x defaulting to 1..n', () => {
    const fig = lineChart({ ...titles, curves: [{ name: 'train', y: [3, 2, 1] }, { name: 'validation', x: [1, 2, 3], y: [4, 3, 2], dashed: true }] });
    assert.equal(fig.data.length, 2);
    assert.deepEqual(fig.data[0].x, [1, 2, 3]);
    assert.deepEqual(fig.data[0].y, [3, 2, 1]);
    assert.deepEqual(fig.data[1].line, { dash: 'dash' });
    assert.equal(fig.layout.xaxis.title.text, 'epoch');
    assert.equal(fig.layout.yaxis.title.text, 'loss');
    assert.equal(fig.layout.title.text, 'T');
  });

  it('uses a log axis on request and rejects values it cannot show', () => {
    assert.equal(lineChart({ ...titles, logY: true, curves: [{ name: 'a', y: [1, 0.1] }] }).layout.yaxis.type, 'log');
    assert.throws(() => lineChart({ ...titles, logY: true, curves: [{ name: 'a', y: [1, 0] }] }), /value <= 0/);
    assert.equal(lineChart({ ...titles, logX: true, curves: [{ name: 'a', x: [1e-3, 1e-2], y: [1, 2] }] }).layout.xaxis.type, 'log');
    assert.throws(() => lineChart({ ...titles, logX: true, curves: [{ name: 'a', x: [0, 1], y: [1, 2] }] }), /x value <= 0, which a log x axis/);
  });

  it('rejects missing titles, empty or mismatched curves and non-finite values, naming them', () => {
    assert.throws(() => lineChart({ ...titles, xTitle: ' ', curves: [{ name: 'a', y: [1] }] }), /xTitle must be a non-empty string/);
    assert.throws(() => lineChart({ ...titles, curves: [] }), /curves must be a non-empty array/);
    assert.throws(() => lineChart({ ...titles, curves: [{ name: 'a', x: [1, 2], y: [1] }] }), /curves\[0\] \("a"\) has 2 x values but 1 y values/);
    assert.throws(() => lineChart({ ...titles, curves: [{ name: 'a', y: [1, Number.NaN] }] }), /curves\[0\]\.y\[1\] must be a finite number, got NaN/);
  });
});

describe('scatterByLabel', () => {
  it('groups points into one trace per label, sorted, with names', () => {
    const fig = scatterByLabel({ ...titles, x: [0, 1, 2, 3], y: [4, 5, 6, 7], labels: [1, 0, 1, 0], labelNames: ['zero', 'one'] });
    assert.deepEqual(fig.data.map((t) => t.name), ['zero', 'one']);
    assert.deepEqual(fig.data[0].x, [1, 3]);
    assert.deepEqual(fig.data[1].y, [4, 6]);
    assert.ok(fig.data.every((t) => t.type === 'scatter'));
  });

  it('switches to scattergl above the threshold', () => {
    const n = 3001;
    const x = Array.from({ length: n }, (_, i) => i);
    const fig = scatterByLabel({ ...titles, x, y: x, labels: x.map((i) => i % 3) });
    assert.ok(fig.data.every((t) => t.type === 'scattergl'));
    assert.equal(scatterByLabel({ ...titles, x: [1, 2], y: [1, 2], labels: [0, 1], webglAbove: 1 }).data[0].type, 'scattergl');
  });

  it('rejects mismatched lengths and non-integer labels', () => {
    assert.throws(() => scatterByLabel({ ...titles, x: [1, 2], y: [1], labels: [0, 0] }), /same length, got 2, 1 and 2/);
    assert.throws(() => scatterByLabel({ ...titles, x: [1], y: [1], labels: [0.5] }), /labels\[0\] must be an integer, got 0\.5/);
  });
});

describe('heatmap', () => {
  it('keeps the matrix, labels the axes as categories, titles the colour bar and reads top-down', () => {
    const fig = heatmap({ ...titles, xTitle: 'predicted', yTitle: 'true', z: [[5, 1], [0, 4]], x: [0, 1], y: [0, 1], colorTitle: 'count', showValues: true });
    const trace = fig.data[0];
    assert.equal(trace.type, 'heatmap');
    assert.deepEqual(trace.z, [[5, 1], [0, 4]]);
    assert.deepEqual(trace.x, ['0', '1']);
    assert.deepEqual(trace.colorbar, { title: { text: 'count' } });
    assert.deepEqual(trace.text, [['5', '1'], ['0', '4']]);
    assert.equal(fig.layout.yaxis.autorange, 'reversed');
    assert.equal(fig.layout.xaxis.title.text, 'predicted');
  });

  it('rejects ragged rows and label counts that do not match', () => {
    assert.throws(() => heatmap({ ...titles, z: [[1, 2], [3]], colorTitle: 'c' }), /z\[1\] has 1 values, expected 2/);
    assert.throws(() => heatmap({ ...titles, z: [[1, 2]], x: ['a'], colorTitle: 'c' }), /x has 1 labels, expected one per column \(2\)/);
    assert.throws(() => heatmap({ ...titles, z: [[1, 2]], colorTitle: '' }), /colorTitle must be a non-empty string/);
  });
});

describe('histogram', () => {
  it('counts values into equal bins shared by every series, ends clamped', () => {
    assert.deepEqual(binCounts([0, 0.1, 0.5, 0.99, 1, 7, -3], 2, 0, 1), [3, 4]);
    const fig = histogram({ ...titles, series: [{ name: 'a', values: [0, 0.25, 0.5, 1] }, { name: 'b', values: [1, 1] }], bins: 4 });
    assert.equal(fig.data.length, 2);
    assert.deepEqual(fig.data[0].x, [0.125, 0.375, 0.625, 0.875]);
    assert.deepEqual(fig.data[0].y, [1, 1, 1, 1]);
    assert.deepEqual(fig.data[1].y, [0, 0, 0, 2]);
    assert.equal(fig.layout.barmode, 'overlay');
    const shares = histogram({ ...titles, series: [{ name: 'a', values: [0, 0, 0, 1] }], bins: 2, range: [0, 1], normalize: true });
    assert.deepEqual(shares.data[0].y, [0.75, 0.25]);
    assert.equal(shares.layout.xaxis.title.text, 'epoch');
  });

  it('rejects empty series, non-finite values and bad bins', () => {
    assert.throws(() => histogram({ ...titles, series: [] }), /series must not be empty/);
    assert.throws(() => histogram({ ...titles, series: [{ name: 'a', values: [] }] }), /series\[0\] \("a"\) has no values/);
    assert.throws(() => histogram({ ...titles, series: [{ name: 'a', values: [1, NaN] }] }), /series\[0\]\.values\[1\] must be a finite number/);
    assert.throws(() => histogram({ ...titles, series: [{ name: 'a', values: [1] }], bins: 0 }), /bins must be a positive integer, got 0/);
    assert.throws(() => histogram({ ...titles, xTitle: '', series: [{ name: 'a', values: [1] }] }), /xTitle must be a non-empty string/);
  });
});

describe('weightImages', () => {
  it('takes weight columns as images, each scaled by its largest absolute weight around mid-grey', () => {
    // inputDim 2, units 3: column 0 = (2, -1), column 2 = (0, 0)
    const w = [2, 5, 0, -1, 1, 0];
    assert.deepEqual([...weightImages(w, 2, 3, [0, 2])], [1, 0.25, 0.5, 0.5]);
    assert.throws(() => weightImages(w, 2, 3, [3]), /unit 3 outside 0\.\.2/);
    assert.throws(() => weightImages(w, 4, 3, [0]), /6 weights, expected 4 x 3/);
  });
});

describe('scatterPanels', () => {
  const labels = [2, 0, 2, 1];
  const panels = [
    { title: 'PCA', x: [1, 2, 3, 4], y: [5, 6, 7, 8] },
    { title: 't-SNE', x: [0, 0, 1, 1], y: [1, 0, 1, 0], xTitle: 't-SNE x', yTitle: 't-SNE y' },
  ];

  it('puts each panel on its own axes with one trace per label, the legend shared and the colours fixed per label', () => {
    const fig = scatterPanels({ title: 'views', panels, labels });
    assert.equal(fig.data.length, 6, 'three labels in two panels');
    assert.deepEqual(fig.data.map((t) => [t.name, t.xaxis, t.yaxis, t.showlegend]), [
      ['0', 'x', 'y', true], ['1', 'x', 'y', true], ['2', 'x', 'y', true],
      ['0', 'x2', 'y2', false], ['1', 'x2', 'y2', false], ['2', 'x2', 'y2', false],
    ]);
    assert.deepEqual(fig.data[2].x, [1, 3], 'label 2 is points 0 and 2');
    assert.deepEqual(fig.data[5].y, [1, 1]);
    assert.equal((fig.data[2].marker as { color: string }).color, (fig.data[5].marker as { color: string }).color, 'one colour per label in every panel');
    assert.notEqual((fig.data[0].marker as { color: string }).color, (fig.data[1].marker as { color: string }).color);
    assert.deepEqual(fig.data.map((t) => t.legendgroup), ['0', '1', '2', '0', '1', '2']);
    assert.deepEqual(fig.layout.grid, { rows: 1, columns: 2, pattern: 'independent', xgap: 0.12, ygap: 0.22 });
    assert.equal(fig.layout.xaxis.title.text, 'PCA 1');
    assert.equal((fig.layout.yaxis2 as { title: { text: string } }).title.text, 't-SNE y');
    assert.deepEqual((fig.layout.annotations as { text: string; xref: string }[]).map((a) => [a.text, a.xref]), [['<b>PCA</b>', 'x domain'], ['<b>t-SNE</b>', 'x2 domain']]);
  });

  it('wraps panels into rows and shows the hover text of each point', () => {
    const fig = scatterPanels({ title: 'views', panels: [...panels, { ...panels[0], title: 'UMAP' }], labels, columns: 2, hoverText: ['a', 'b', 'c', 'd'] });
    assert.equal((fig.layout.grid as { rows: number }).rows, 2);
    assert.deepEqual(fig.data[2].text, ['a', 'c']);
    assert.match(String(fig.data[2].hovertemplate), /^%\{text\}<extra>2<\/extra>$/);
    assert.equal(fig.data[8].xaxis, 'x3');
  });

  it('keeps coordinates to 4 significant digits', () => {
    const fig = scatterPanels({ title: 'views', panels: [{ title: 'map', x: [Math.fround(0.123456789), 12345.678], y: [-0.000987654, 2] }], labels: [0, 0] });
    assert.deepEqual(fig.data[0].x, [0.1235, 12350]);
    assert.deepEqual(fig.data[0].y, [-0.0009877, 2]);
  });

  it('rejects empty input, mismatched lengths, bad labels, missing titles and non-finite values', () => {
    assert.throws(() => scatterPanels({ title: 't', panels: [], labels }), /no panels/);
    assert.throws(() => scatterPanels({ title: 't', panels, labels: [] }), /no points/);
    assert.throws(() => scatterPanels({ title: 't', panels, labels: [0, 1, 2] }), /panel "PCA" has 4 x and 4 y values for 3 labels/);
    assert.throws(() => scatterPanels({ title: 't', panels, labels: [0, 1, 2, 1.5] }), /labels\[3\] must be a non-negative integer/);
    assert.throws(() => scatterPanels({ title: 't', panels, labels, hoverText: ['a'] }), /1 hover texts for 4 points/);
    assert.throws(() => scatterPanels({ title: 't', panels: [{ ...panels[0], title: ' ' }], labels }), /panels\[0\]\.title must be a non-empty string/);
    assert.throws(() => scatterPanels({ title: 't', panels: [{ ...panels[0], x: [1, NaN, 3, 4] }], labels }), /panel "PCA" x\[1\] must be a finite number/);
    assert.throws(() => scatterPanels({ title: 't', panels, labels, columns: 0 }), /columns must be a positive integer/);
  });
});

describe('digitHoverArt', () => {
  it('draws blocks of pixels as characters from . to @, rows joined by <br>', () => {
    // A 4 x 4 image, no crop, blocks of 2: mean ink 0, 1, 0.25 and 0.5 in the four
    // blocks: levels round(8 x ink) of the nine characters, 0, 8, 2 and 4.
    const image = [0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 0, 1, 0];
    const art = digitHoverArt(image, { width: 4, height: 4, crop: 0, block: 2 });
    assert.equal(art, '.@<br>-+');
  });

  it('turns a 28 x 28 digit into 10 rows of 10 characters by default', () => {
    const image = new Float32Array(784);
    image[14 * 28 + 14] = 1;
    const rows = digitHoverArt(image).split('<br>');
    assert.equal(rows.length, 10);
    assert.ok(rows.every((r) => r.length === 10));
    assert.equal(rows[5][5], '-', 'one inked pixel of four in its block: a quarter of full ink, level round(8 / 4) = 2');
    assert.equal(rows.join('').replace(/\./g, '').length, 1);
  });

  it('rejects a wrong pixel count and a crop that leaves nothing', () => {
    assert.throws(() => digitHoverArt(new Float32Array(10)), /10 pixels for a 28 x 28 image/);
    assert.throws(() => digitHoverArt(new Float32Array(16), { width: 4, height: 4, crop: 2 }), /leave nothing/);
  });
});
