import assert from 'node:assert/strict';
import { backendNames } from '../src/backend';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { plotlyLibraryMarker } from '../src/notebook/figure';
import { runNotebooksSmoke } from './support/notebook-runner';
import { formatGradeTable, gradeExecuted, type GradeReport } from '../src/coursework/grades';
import { cellSource, gradeIdOf, restoreFromSource, solutionRegions, studentVersion } from '../src/coursework/nbgrader';
import { courseworkNotebooks, exercises, notebooksDir, readNotebook as readCourseworkNotebook, runNotebooks, withAnswer, type Exercise, type RunRow } from './support/coursework';
import { wrongAnswers } from './coursework/wrong-answers';

const root = path.join(__dirname, '..');
const out = path.join(root, 'build', 'test-notebooks');

interface Row {
  notebook: string;
  status: string;
  backend: string;
  profile: string;
  message: string | null;
}

describe('every notebook executes in the smoke profile', () => {
  it('runs all notebooks with the tslab kernel and no cell fails', () => {
    const result = runNotebooksSmoke([], out, 60 * 60 * 1000);
    const rows = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as Row[];
    const expected = fs.readdirSync(path.join(root, 'notebooks')).filter((f) => f.endsWith('.ipynb')).length;
    assert.equal(rows.length, expected, 'one summary row per notebook');
    const failed = rows.filter((row) => row.status !== 'ok');
    assert.deepEqual(failed.map((row) => `${row.notebook}: ${row.message}`), [], `${result.stdout}\n${result.stderr}`);
    assert.equal(result.status, 0);
    assert.ok(rows.every((row) => row.profile === 'smoke' && row.backend !== 'n/a'));
  });

  it('every executed notebook carries plotly.js at most once, packed, and stays small enough to commit or mail', () => {
    const rows = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as (Row & { bytes: number })[];
    for (const row of rows) {
      const text = fs.readFileSync(path.join(out, `${row.notebook}.ipynb`), 'utf8');
      assert.equal(row.bytes, Buffer.byteLength(text), `${row.notebook}: the runner reports the file's size`);
      assert.ok(text.split(plotlyLibraryMarker).length - 1 <= 1, `${row.notebook}: plotly.js at most once`);
      assert.ok(row.bytes < 5_000_000, `${row.notebook}: ${(row.bytes / 1e6).toFixed(1)} MB`);
    }
  });

  it('the executed 00 notebook shows the backend report and the self-check', () => {
    const nb = JSON.parse(fs.readFileSync(path.join(out, '00-environment.ipynb'), 'utf8')) as {
      cells: { cell_type: string; outputs?: { text?: string | string[] }[] }[];
    };
    const printed = nb.cells
      .flatMap((cell) => cell.outputs ?? [])
      .map((o) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? ''))
      .join('');
    assert.match(printed, new RegExp(`^backend: (${backendNames.join('|')}) \\(`, 'm'));
    assert.match(printed, /tensorflow-gpu +(chosen|unavailable|skipped|available)/);
    assert.match(printed, /matMul  -> \[19, 22, 43, 50\]  ok/);
    assert.ok(fs.existsSync(path.join(out, '00-environment.html')), 'the HTML export exists');
  });

  it('the executed 00 notebook holds one figure output (Plotly JSON + HTML + text) and one table', () => {
    const nb = JSON.parse(fs.readFileSync(path.join(out, '00-environment.ipynb'), 'utf8')) as {
      cells: { id: string; outputs?: { output_type: string; data?: Record<string, unknown> }[] }[];
    };
    const displays = nb.cells.flatMap((cell) => (cell.outputs ?? []).filter((o) => o.output_type === 'display_data').map((o) => ({ cell: cell.id, data: o.data ?? {} })));
    const figures = displays.filter((d) => 'application/vnd.plotly.v1+json' in d.data);
    assert.equal(figures.length, 1, 'one Plotly output');
    assert.deepEqual(Object.keys(figures[0].data).sort(), ['application/vnd.plotly.v1+json', 'text/html', 'text/plain']);
    const html = String(figures[0].data['text/html']);
    assert.ok(html.includes('window.Plotly.newPlot') && html.length > 1_000_000, 'the HTML fallback carries plotly.js and draws the figure');
    const tables = displays.filter((d) => String(d.data['text/html'] ?? '').includes('<table class="replearn-table'));
    assert.equal(tables.length, 1, 'one table');
    assert.match(String(tables[0].data['text/html']), /<th>backend<\/th>/);
    const progress = displays.filter((d) => String(d.data['text/html'] ?? '').includes('replearn-progress'));
    assert.equal(progress.length, 1, 'the progress line was updated in place: one output, not one per update');
    assert.match(String(progress[0].data['text/plain']), /^timed \d+ sizes on /);
  });
});

describe('the executed training notebooks (smoke profile, from the run above)', () => {
  type Output = { output_type: string; text?: string | string[]; data?: Record<string, unknown> };
  const load = (name: string) => JSON.parse(fs.readFileSync(path.join(out, `${name}.ipynb`), 'utf8')) as { cells: { id: string; outputs?: Output[] }[] };
  const outputs = (name: string) => load(name).cells.flatMap((c) => c.outputs ?? []);
  /** Output text, which a notebook may store as one string or as a list of lines. */
  const joined = (text: unknown) => (Array.isArray(text) ? text.join('') : String(text ?? ''));
  const printed = (name: string) => outputs(name).map((o) => joined(o.text)).join('');
  const displays = (name: string) => outputs(name).filter((o) => o.output_type === 'display_data').map((o) => o.data ?? {});
  const progressLines = (name: string) => displays(name).filter((d) => String(d['text/html'] ?? '').includes('replearn-progress')).map((d) => String(d['text/plain']));

  it('01 trains the classifier with one in-place progress line and reports its test accuracy', () => {
    assert.match(printed('01-representation-learning'), /test accuracy: \d+\.\d+% on \d+ digits/);
    const lines = progressLines('01-representation-learning');
    assert.equal(lines.length, 1, 'one training run, one progress output');
    assert.match(lines[0], /^trained epochs 1-\d+ of \d+ in \d+s.*best validation loss \d/);
    const figures = displays('01-representation-learning').filter((d) => 'application/vnd.plotly.v1+json' in d);
    assert.equal(figures.length, 5, 'engineered features, the layer before and after training, the loss curves, the confusion matrix');
    assert.match(printed('01-representation-learning'), /most confused pair: \d and \d \(\d+ test digits\); rank correlation of centre distance and confusions over the 45 pairs: -?\d\.\d+/);
  });

  it('02 shows loss curves, a PNG reconstruction grid, the AE-versus-PCA table and the linear-AE angles', () => {
    const text = printed('02-autoencoders');
    assert.match(text, /test MSE: linear AE \d\.\d+, PCA \d\.\d+/);
    assert.match(text, /mean principal angle \d+\.\d+ degrees/);
    const data = displays('02-autoencoders');
    const pngs = data.filter((d) => 'image/png' in d);
    assert.equal(pngs.length, 1);
    assert.ok(Buffer.from(String(pngs[0]['image/png']), 'base64').subarray(1, 4).toString() === 'PNG');
    const tables = data.map((d) => String(d['text/html'] ?? '')).filter((h) => h.includes('<table class="replearn-table'));
    assert.ok(tables.some((h) => h.includes('<th>PCA test MSE</th>') && h.includes('<th>autoencoder test MSE</th>')), 'the AE versus PCA table');
    assert.ok(progressLines('02-autoencoders').length >= 4, 'a progress line per training run');
  });

  it('05 prints the lecture models\' summaries (28,353 and 3,721,601 parameters) and shows its figures and image grids', () => {
    const data = displays('05-convolutional-autoencoders');
    const tables = data.map((d) => String(d['text/plain'] ?? '')).filter((t) => t.includes('output shape'));
    assert.ok(tables.some((t) => /decoder\/output\s+Conv2D 3 same sigmoid\s+28 × 28 × 1\s+289/.test(t) && /total\s+28353/.test(t)), 'the lecture model summary');
    assert.ok(tables.some((t) => /decoder\/1\s+ConvTranspose1d k80 s16\s+2048 × 1/.test(t)), 'the 1-D model summary');
    assert.equal(data.filter((d) => 'image/png' in d).length, 3, 'the reconstruction, single-dot and denoising grids');
    assert.ok(tables.some((t) => /total\s+3721601/.test(t)), "the lecture's 1-D model summary");
    assert.match(printed('05-convolutional-autoencoders'), /the lecture model rebuilds \d+% of the 25 single-dot images/);
    assert.equal(data.filter((d) => 'application/vnd.plotly.v1+json' in d).length, 4, 'two loss-curve figures and two signal figures');
    assert.match(printed('05-convolutional-autoencoders'), /nearest-centroid accuracy of the 32-number codes on the test signals: \d\.\d+ \(chance 0\.25\)/);
  });

  it('06 shows the ELBO identity table, the VAE\'s loss terms, the bounds L_k beside the ELBO, the binarised comparison, the 2-D manifold, the interpolation, the beta table, the convolutional VAE and the conditional samples', () => {
    const data = displays('06-variational-autoencoders');
    const tables = data.map((d) => String(d['text/plain'] ?? ''));
    assert.ok(tables.some((t) => /the true posterior/.test(t) && /ELBO \+ KL/.test(t)), 'the ELBO identity table');
    assert.ok(tables.some((t) => /L_100\s+-\d+/.test(t) && /ELBO \(closed-form KL\)/.test(t)), 'the table of bounds');
    assert.match(printed('06-variational-autoencoders'), /VAE 784-400-20 \(Bernoulli decoder\): \d+ epochs of \d+ digits in [\d.]+ s/);
    assert.equal(data.filter((d) => 'image/png' in d).length, 6, 'the samples, manifold, interpolation, traversal, convolutional-samples and conditional-samples grids');
    assert.equal(data.filter((d) => 'application/vnd.plotly.v1+json' in d).length, 4, 'the ink histogram, the loss curves, the 2-D codes and reconstruction against KL');
    assert.equal(progressLines('06-variational-autoencoders').length, 6, 'training (grey-level, binarised, convolutional, conditional) and the two likelihood estimates show progress');
    assert.ok(tables.some((t) => /neighbours/.test(t) && /any two cells/.test(t) && /\d+ x \d+ grid/.test(t)), "the manifold's smoothness table");
    assert.ok(tables.some((t) => /blended in code space/.test(t) && /blended in pixel space/.test(t)), 'the interpolation table');
    assert.ok(tables.some((t) => /convolutional 16-32 filters/.test(t) && /weights/.test(t)), 'the dense against convolutional VAE table');
    assert.match(printed('06-variational-autoencoders'), /at this budget the convolutional VAE's test -ELBO is [\d.]+ nats per digit (lower|higher)/);
    assert.ok(tables.some((t) => /Burda et al\. 2016/.test(t) && /independent pixels/.test(t)), 'the binarised-MNIST table beside the published number');
    assert.ok(tables.some((t) => /active units/.test(t) && /^\s*8\s/m.test(t.replace(/,/g, '\n'))), 'the beta table');
    assert.match(printed('06-variational-autoencoders'), /conditional samples judged as the digit asked for: [\d.]+% of \d+/);
  });

  it('07 shows the VQ-VAE summary and bits, the straight-through table, the loss terms, code use with and without re-seeding, the comparison at about 294 bits, Fashion-MNIST, the beta and K sweep, the priors, retrieval and VQ-VAE-2', () => {
    const name = '07-vq-vae';
    const data = displays(name);
    const tables = data.map((d) => joined(d['text/plain']));
    assert.ok(tables.some((t) => /quantizer\/codebook\s+Codebook 64 x 16/.test(t) && /total\s+\d+/.test(t)), 'the model summary with its codebook');
    assert.match(printed(name), /49 x log2\(64\) = 294 bits per image/);
    assert.ok(tables.some((t) => /d\/de of sum\(W \* value\)\s+\[\[0,0\],\[0,0\]\]/.test(t)), 'the straight-through table');
    assert.ok(tables.some((t) => /^untrained\s/m.test(t) && /commitment/.test(t)), 'the loss-term table');
    assert.match(printed(name), /plain VQ-VAE on \d+ test digits: \d+ of 64 code words used, \d+ dead, perplexity [\d.]+/);
    assert.ok(tables.some((t) => /^no fix\s/m.test(t) && /^re-seed dead codes\s/m.test(t)), 'the code-use table with and without the fix');
    assert.ok(tables.some((t) => /re-seeded/.test(t) && /^epoch\s/m.test(t)), 'the per-epoch re-seeding table');
    assert.ok(tables.some((t) => /conv autoencoder, 9 float32 numbers/.test(t) && /dense VAE, 9 float32 means/.test(t)), 'the comparison at about 294 bits');
    assert.match(printed(name), /lowest test squared error at about 294 bits: /);
    assert.ok(tables.some((t) => /^Fashion-MNIST\s/m.test(t)), 'the Fashion-MNIST row');
    assert.ok(tables.some((t) => /^beta\s+K\s/m.test(t) && /^0\.25\s+256\s/m.test(t)), 'the beta and K table');
    assert.match(printed(name), /at this budget beta [\d.]+ reconstructs best/);
    assert.ok(tables.some((t) => /per-position categorical/.test(t) && /autoregressive \(4 neighbours/.test(t) && /bits per test code/.test(t)), 'the table of priors');
    assert.ok(tables.some((t) => /VQ-VAE indices, Hamming distance/.test(t) && /5-NN accuracy/.test(t)), 'the retrieval table');
    assert.match(printed(name), /VQ-VAE-2's codes: \(32 x 32 \+ 64 x 64\) x log2\(512\) = 46080 bits/);
    assert.equal(data.filter((d) => 'image/png' in d).length, 3, 'the MNIST and Fashion-MNIST reconstruction grids and the prior samples');
    assert.equal(data.filter((d) => 'application/vnd.plotly.v1+json' in d).length, 3, 'the loss curves, the code-use bars and the VQ-VAE-2 diagram');
    assert.equal(progressLines(name).length, 11, 'training shows progress: the plain and re-seeded VQ-VAEs, the autoencoder, the VAE, Fashion-MNIST, five sweep models and the prior');
  });

  it('08 shows the codes and their size sweep, fifteen maps with the digit on hover, the metric table beside the published one, the four-cluster geometry, the parameter sweeps and the clustering table', () => {
    const name = '08-latent-spaces';
    const data = displays(name);
    const tables = data.map((d) => joined(d['text/plain']));
    assert.match(printed(name), /trained on \d+ digits for \d+ epochs: autoencoder [\d.]+ s, VAE [\d.]+ s, classifier [\d.]+ s \(test accuracy [\d.]+%\)/);
    assert.ok(tables.some((t) => /^autoencoder \(4\)\s+4\s/m.test(t) && /5-NN accuracy/.test(t)), 'the table of codes');
    assert.ok(tables.some((t) => /^numbers\s+PCA\s+autoencoder\s+gap/m.test(t) && /^16\s/m.test(t)), 'the code-size sweep');
    assert.ok(tables.some((t) => /^raw pixels\s+t-SNE\s/m.test(t) && /^classifier \(4\)\s+UMAP\s/m.test(t) && /continuity/.test(t)), 'the metric table, fifteen maps');
    assert.ok(tables.some((t) => /Sainburg et al\. 2021/.test(t) && /^t-SNE\s+0\.\d+\s+0\.9874/m.test(t)), 'our trustworthiness beside the published');
    assert.ok(tables.some((t) => /^the data \(50 dimensions\)\s+10\.\d/m.test(t) && /^t-SNE, random start\s/m.test(t)), 'the four-cluster geometry');
    assert.ok(tables.some((t) => /^perplexity\s+T\(5\)\s+T\(50\)\s+packing/m.test(t) && /^100\s/m.test(t)), 'the perplexity table');
    assert.ok(tables.some((t) => /^n_neighbors\s+min_dist/m.test(t) && /^15\s+0\.99\s/m.test(t)), 'the n_neighbors and min_dist table');
    assert.ok(tables.some((t) => /mixture ARI/.test(t) && /not fitted/.test(t) && /^classifier \(4\)\s+UMAP map\s/m.test(t)), 'the clustering table');
    const figures = data.filter((d) => 'application/vnd.plotly.v1+json' in d).map((d) => d['application/vnd.plotly.v1+json'] as { data: { text?: string[]; xaxis?: string }[]; layout: { title: { text: string } } });
    assert.equal(figures.length, 9, 'the size sweep, five representations, the four clusters, perplexity, n_neighbors and min_dist');
    const maps = figures.filter((f) => /: \d+ test digits in two dimensions$/.test(f.layout.title.text));
    assert.equal(maps.length, 5);
    for (const f of maps) assert.deepEqual([...new Set(f.data.map((t) => t.xaxis))], ['x', 'x2', 'x3'], `${f.layout.title.text}: PCA, t-SNE and UMAP panels`);
    assert.match(maps[0].layout.title.text, /^raw pixels: /);
    for (const trace of maps[0].data) {
      const art = trace.text![0].split('<br>');
      assert.match(art[0], /^test digit \d+$/);
      assert.equal(art.length, 11, 'the hover label: the digit\'s number, then 10 rows of characters');
      assert.ok(art.slice(1).every((row) => row.length === 10) && art.slice(1).join('').replace(/\./g, '').length > 3, 'a drawn digit');
    }
    assert.ok(maps.slice(1).every((f) => f.data.every((t) => t.text === undefined)), 'the digits drawn in the first figure only, to keep the notebook small');
    assert.equal(progressLines(name).length, 26, 'training (3 models and 3 sizes) and every t-SNE and UMAP run shows progress');
  });

  it('09 shows representations against labels, the lecture-style binary runs with their ROC curves, thresholds for a budget, frozen against fine-tuned against scratch, the memory table, and one-class anomaly detection', () => {
    const name = '09-downstream';
    const data = displays(name);
    const tables = data.map((d) => joined(d['text/plain']));
    assert.match(printed(name), /four encoders trained on \d+ unlabelled digits for \d+ epochs/);
    assert.ok(tables.some((t) => /^representation\s+numbers\s+100 labels\s+100: lowest-highest\s+1000 labels/m.test(t) && /^untrained encoder\s+32\s/m.test(t) && /^sparse\s+1000\s/m.test(t)), 'the accuracy-against-labels table, seven representations');
    assert.ok(tables.some((t) => /^4 against 9, autoencoder code \(32\)\s+\d+\s+0\.\d+/m.test(t) && /^sine against chirp/m.test(t) && /TPR\s+FPR\s+AUROC/.test(t) && /Dense relu 10, Dropout 0\.2 10, Dense relu 3, Dropout 0\.2 3, Dense linear 1/.test(t)), 'the lecture-style binary table with the AE_classifier\'s layers');
    assert.ok(tables.some((t) => /^FPR budget\s+threshold\s+validation TPR/m.test(t) && /^0\.05\s/m.test(t)), 'the threshold table');
    assert.ok(tables.some((t) => /^labels\s+label sets\s+frozen\s+fine-tuned\s+from scratch/m.test(t)), 'the transfer table');
    assert.ok(tables.some((t) => /^autoencoder code, 8 bits per number\s+32\s/m.test(t) && /^raw pixels, 8 bits each\s+784\s/m.test(t)), 'the memory table');
    const aurocTable = tables.find((t) => /^score\s+normal 0\s+normal 1\s/m.test(t));
    assert.ok(aurocTable !== undefined, 'the anomaly AUROC table, one column per normal digit');
    for (const row of ['autoencoder', 'PCA', 'VAE', 'nearest code', 'nearest training digit \\(pixels\\)', 'untrained autoencoder', 'published: one-class Deep SVDD']) {
      assert.match(aurocTable, new RegExp(`^${row}\\s+[01](\\.\\d+)?\\s`, 'm'), `AUROC row ${row}`);
    }
    assert.ok(tables.some((t) => /^normal digit\s+validation digits\s+threshold\s+test FPR\s+test recall \(TPR\)\s+test precision/m.test(t)), 'the anomaly threshold table');
    assert.equal((printed(name).match(/^normal digit \d \(AUROC \d\.\d{3}\): the \d+ least anomalous test digits are/gm) ?? []).length, 2, 'the easiest and the hardest normal digit, named with their test digits');
    const grids = data.filter((d) => 'image/png' in d && /lowest \("least"\) and highest \("most"\) reconstruction error/.test(String(d['text/plain'])));
    assert.equal(grids.length, 1, 'the grid of the least and most anomalous digits');
    const figures = data.filter((d) => 'application/vnd.plotly.v1+json' in d).map((d) => d['application/vnd.plotly.v1+json'] as { data: { name: string; x: number[]; y: number[] }[]; layout: { title: { text: string } } });
    assert.equal(figures.length, 2, 'accuracy against labels, the ROC curves');
    const roc = figures[1];
    assert.match(roc.layout.title.text, /^ROC curves/);
    assert.equal(roc.data.length, 4, 'three tasks and the diagonal');
    for (const trace of roc.data.slice(0, 3)) {
      assert.match(trace.name, /AUROC 0\.\d{3}$/);
      assert.deepEqual([trace.x[0], trace.y[0], trace.x[trace.x.length - 1], trace.y[trace.y.length - 1]], [0, 0, 1, 1], `${trace.name}: from (0, 0) to (1, 1)`);
    }
    assert.equal(progressLines(name).length, 12, 'training shows progress: the four encoders, the signal autoencoder, the three networks of each transfer row (on its first label set), and the one-class models');
    assert.ok(progressLines(name).some((line) => /^one-class models: 10 normal digits/.test(line)), 'the one-class line');
  });

  it('10 shows the lecture\'s table, the boosted trees, both conditional VAEs judged on real test rows, the augmentation table and plot, class balance, fidelity and privacy, and the digits', () => {
    const name = '10-synthetic-augmentation';
    const text = printed(name);
    const tables = displays(name).map((d) => joined(d['text/plain']));
    assert.match(text, /the best reachable AUC \(the true probability's own\) on 50,000 rows: 0\.\d{3}/);
    assert.match(text, /boosted trees on \d+ training rows: \d+ rounds kept by early stopping, \d+\.\d+ s; test AUC 0\.\d{3}/);
    for (const k of [1, 2, 3]) assert.match(text, new RegExp(`exercise ${k}: every check passed`));
    assert.ok(tables.some((t) => /^b1\s+b2\s+b3\s+c4\s+b5\s+c6\s+P\(label 1 \| row\)\s+label/m.test(t)), 'six rows of the lecture\'s table');
    assert.ok(tables.some((t) => /^column\s+kind\s+splits\s+share of the gain/m.test(t) && /^c6\s+continuous\s+\d+/m.test(t)), 'feature importance');
    assert.ok(tables.some((t) => /^column\s+label\s+real\s+dense\s+attention/m.test(t)), 'per-class means of the real and synthetic rows');
    assert.ok(tables.some((t) => /^synthetic only\s+conditional variational transformer\s+\d/m.test(t) && /^synthetic only\s+the dense model untrained/m.test(t)), 'train on synthetic, test on real');
    const augmentation = tables.find((t) => /^training set\s+100 real rows\s+300 real rows/m.test(t));
    assert.ok(augmentation !== undefined, 'the augmentation table');
    for (const row of ['real only', 'real \\+ 1x synthetic', 'real \\+ 2x synthetic', 'real \\+ 5x synthetic', 'synthetic only', 'real \\+ jitter', 'real \\+ SMOTE']) {
      assert.match(augmentation, new RegExp(`^${row}\\s+0\\.\\d{3} ± 0\\.\\d{3}`, 'm'), `augmentation row ${row}`);
    }
    assert.match(text, /gains over real rows alone larger than twice their standard error: /);
    assert.ok(tables.some((t) => /^training rows\s+AUC\s+TPR at 0\.5\s+FPR at 0\.5\s+balanced accuracy/m.test(t) && /^oversampled by the conditional VAE\s+0\.\d{3} ± /m.test(t)), 'the class-balance table');
    assert.match(text, /534 workers, 96 union members; columns: education \(continuous\)/);
    assert.ok(tables.some((t) => /^column\s+real mean\s+dense mean\s+attention mean/m.test(t)), 'the fidelity table');
    assert.match(text, /mean absolute correlation error: dense 0\.\d+, attention 0\.\d+, real rows shuffled within each class 0\.\d+/);
    assert.match(text, /5% of the real test workers lie within \d+\.\d+ of a training worker; of the synthetic rows \d+\.\d% do, of the jittered rows \d+\.\d%/);
    assert.ok(tables.some((t) => /^training digits\s+test accuracy \(mean\)\s+lowest\s+highest/m.test(t) && /^100 real \+ 1,000 synthetic\s+0\.\d/m.test(t)), 'the image table');
    const figures = displays(name).filter((d) => 'application/vnd.plotly.v1+json' in d).map((d) => d['application/vnd.plotly.v1+json'] as { data: { name: string; type: string; x: number[] }[]; layout: { title: { text: string } } });
    assert.deepEqual(figures.map((f) => f.layout.title.text.split(':')[0]), ['Boosted trees on the lecture\'s table', 'Conditional VAE for mixed columns (dense)', 'Synthetically augmented fitting results', 'Correlations of the real training rows minus those of the dense model\'s rows', 'CPS workers']);
    const plot = figures[2];
    assert.deepEqual(plot.data.map((t) => t.name), ['real only', 'real + 1x synthetic', 'real + 2x synthetic', 'real + 5x synthetic', 'synthetic only', 'real + jitter', 'real + SMOTE', 'best reachable']);
    assert.deepEqual(plot.data[0].x, [100, 300, 1000]);
    assert.equal(figures[3].data[0].type, 'heatmap');
    assert.equal(figures[4].data.length, 3, 'synthetic, test and jittered rows');
    assert.equal(displays(name).filter((d) => 'image/png' in d).length, 1, 'the grid of synthetic digits');
    const progress = progressLines(name);
    assert.equal(progress.length, 5, 'the two VAEs of section 3, then the augmentation, class-balance and image loops');
    assert.match(progress[2], /^augmentation: 3 training sizes x 2 seeds/);
  });
});

describe('the runner reports a failing cell', () => {
  it('names the notebook and the cell, keeps the outputs so far, and exits non-zero', () => {
    const dir = fs.mkdtempSync(path.join(root, 'build', 'failing-'));
    const notebooks = path.join(dir, 'notebooks');
    fs.mkdirSync(notebooks);
    const cell = (id: string, source: string) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source });
    const nb = {
      cells: [cell('fine', "console.log('before the failure')"), cell('broken', "throw new Error('deliberate failure')"), cell('after', "console.log('never')")],
      metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const file = path.join(notebooks, '99-failing.ipynb');
    fs.writeFileSync(file, JSON.stringify(nb));
    const state = jupyterState();
    const result = spawnSync(
      state.python,
      [path.join(root, 'scripts', 'execute_notebook.py'), file, dir, path.join(dir, 'result.json'), '--timeout', '120'],
      { cwd: root, encoding: 'utf8', env: { ...process.env, ...(state.mode === 'venv' ? {} : { JUPYTER_PATH: state.dataDir }) } },
    );
    assert.equal(result.status, 1);
    const res = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')) as { status: string; cell: { index: number; id: string }; message: string };
    assert.equal(res.status, 'failed');
    assert.deepEqual([res.cell.index, res.cell.id], [1, 'broken']);
    assert.match(res.message, /deliberate failure/);
    const executed = JSON.parse(fs.readFileSync(path.join(dir, '99-failing.ipynb'), 'utf8')) as { cells: { outputs: { text?: string | string[] }[] }[] };
    const printed = executed.cells.map((c) => c.outputs.map((o) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? '')).join(''));
    assert.match(printed[0], /before the failure/);
    assert.equal(printed[2], '', 'the cell after the failure did not run');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

/** What the set-up recorded: the Python with nbclient, and where the kernel spec lives. */
function jupyterState(): { mode: string; python: string; dataDir: string } {
  return JSON.parse(fs.readFileSync(path.join(root, 'build', 'jupyter-env.json'), 'utf8')) as { mode: string; python: string; dataDir: string };
}

describe('the runner with allowErrors (grading) records a failing cell and runs on', () => {
  it('runs every cell after a failure, even one sent within tslab\'s abort window, and records each', async () => {
    const dir = fs.mkdtempSync(path.join(root, 'build', 'allow-errors-'));
    const cell = (id: string, source: string) => ({ cell_type: 'code', id, metadata: {}, execution_count: null, outputs: [], source });
    const nb = {
      cells: [
        cell('fine', "console.log('before')"),
        cell('broken', "throw new Error('deliberate failure')"),
        cell('after', "console.log('after the failure')"),
        cell('type-error', "const n: number = 'text';"),
        cell('late', "Promise.reject(new Error('rejected later'));"),
        cell('last', "console.log('the end')"),
      ],
      metadata: { kernelspec: { display_name: 'TypeScript', language: 'typescript', name: 'tslab' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const file = path.join(dir, 'errors.ipynb');
    fs.writeFileSync(file, JSON.stringify(nb));
    const { rows } = await runNotebooks({ names: [file], outDir: path.join(dir, 'out'), allowErrors: true });
    assert.deepEqual(
      rows[0].cells.map((c) => [c.id, c.status]),
      [['fine', 'ok'], ['broken', 'failed'], ['after', 'ok'], ['type-error', 'failed'], ['late', 'failed'], ['last', 'ok']],
    );
    const messages = Object.fromEntries(rows[0].cells.map((c) => [c.id, c.message]));
    assert.equal(messages.broken, 'Error: deliberate failure', 'the thrown error\'s line, not the source location tslab prints first');
    assert.match(messages['type-error'] ?? '', /Type 'string' is not assignable to type 'number'/);
    assert.equal(messages.late, 'an unhandled promise rejection: Error: rejected later');
    assert.equal(rows[0].status, 'failed');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('coursework graded as nbgrader autograde does (npm run grade)', () => {
  const work = path.join(root, 'build', 'test-coursework');
  const submissions = path.join(work, 'submissions');
  const gradesOut = path.join(work, 'grades');
  const names = courseworkNotebooks();
  // One submission per notebook, so each lesson runs once more, not twice: the student version
  // with the first exercise answered as the reference does, the second answered wrongly with its
  // check edited away (so a grader that ran the edited check would pass it), the rest left as stubs.
  const plan = new Map<string, { right: Exercise; wrong: Exercise; stubs: Exercise[] }>();
  type Report = { score: number; maxScore: number; ranToEnd: boolean; restored: string[]; rows: { gradeId: string; kind: string; points: number | null; maxPoints: number; result: string }[] };
  const report = (name: string) => JSON.parse(fs.readFileSync(path.join(gradesOut, 'submissions', 'student', name, `${name}.grades.json`), 'utf8')) as Report;
  const cellRuns = (name: string) => (JSON.parse(fs.readFileSync(path.join(gradesOut, 'submissions', 'student', name, 'summary.json'), 'utf8')) as RunRow[])[0].cells;

  it('grades, per notebook, a student version with one exercise right, one wrong with its check edited away, and the rest unanswered', () => {
    assert.ok(names.includes('01-representation-learning') && names.includes('02-autoencoders'), `coursework notebooks: ${names.join(', ')}`);
    fs.rmSync(work, { recursive: true, force: true });
    for (const name of names) {
      const instructor = readCourseworkNotebook(path.join(notebooksDir, `${name}.ipynb`));
      const [right, wrong, ...stubs] = exercises(instructor);
      assert.ok(wrong !== undefined && stubs.length > 0, `${name}: at least 3 exercises`);
      plan.set(name, { right, wrong, stubs });
      const student = studentVersion(instructor);
      const reference = solutionRegions(cellSource(right.solution)).map((lines) => lines.join('\n')).join('\n');
      student.cells = student.cells.map((cell) => {
        if (cell.id === right.solution.id) return withAnswer(right.solution, reference);
        if (cell.id === wrong.solution.id) return withAnswer(wrong.solution, wrongAnswers[name][wrong.solution.id!]);
        if (cell.id === wrong.check.id) return { ...cell, source: "console.log('nothing to check here');" };
        return cell;
      });
      writeJson(path.join(submissions, 'student', `${name}.ipynb`), student);
    }
    const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'grade.mjs'), '--out', gradesOut, submissions], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, REPLEARN_PROFILE: 'smoke' },
      timeout: 40 * 60 * 1000,
    });
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /exercise +points +result/);
    assert.match(result.stdout, /total: \d+ \/ \d+ points from checks/);
  });

  for (const name of names) {
    describe(name, () => {
      it('the instructor version (the smoke run above) gets full points, and restoring it from itself changes nothing', () => {
        const instructor = readCourseworkNotebook(path.join(notebooksDir, `${name}.ipynb`));
        assert.deepEqual(restoreFromSource(instructor, instructor).changes, []);
        const row = (JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as RunRow[]).find((r) => r.notebook === name)!;
        const graded = gradeExecuted(readCourseworkNotebook(path.join(out, `${name}.ipynb`)), row.cells, { submission: 'instructor', notebook: name });
        assert.ok(graded.maxScore > 0);
        assert.equal(graded.score, graded.maxScore, formatGradeTable(graded));
        assert.ok(graded.rows.filter((r) => r.kind === 'check').every((r) => r.result === 'passed'));
        assert.ok(graded.rows.some((r) => r.kind === 'written' && r.result === 'to grade by hand'), 'a written answer with a model answer');
      });

      it('the submission gets the right exercise\'s points only: the wrong one is graded by the restored check, the unanswered ones by their stubs', () => {
        const graded = report(name);
        const { right, wrong, stubs } = plan.get(name)!;
        const id = (exercise: Exercise) => gradeIdOf(exercise.check)!;
        const checks = graded.rows.filter((r) => r.kind === 'check');
        assert.deepEqual(checks.map((r) => r.gradeId), [right, wrong, ...stubs].map(id));
        assert.equal(graded.score, right.points, formatGradeTable(graded as GradeReport));
        const result = new Map(checks.map((r) => [r.gradeId, r.result]));
        assert.equal(result.get(id(right)), 'passed', 'a right answer passes while the exercises around it are wrong or unanswered');
        assert.match(result.get(id(wrong))!, /check failed/);
        for (const stub of stubs) assert.equal(result.get(id(stub)), 'Error: No answer given');
        assert.deepEqual(graded.restored, [`cell "${id(wrong)}" is locked and was edited: graded with the source's text`]);
        assert.ok(graded.rows.filter((r) => r.kind === 'written').every((r) => r.points === 0 && r.result === 'unanswered'));
        assert.ok(graded.ranToEnd);
        const failed = cellRuns(name).filter((c) => c.status !== 'ok').map((c) => c.id);
        assert.deepEqual(failed, [wrong, ...stubs].map(id), 'only the failing checks fail: the lesson around them runs');
        assert.ok(fs.existsSync(path.join(gradesOut, 'submissions', 'student', name, `${name}.feedback.html`)));
      });
    });
  }
});

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value));
}
