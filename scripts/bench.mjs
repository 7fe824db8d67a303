#!/usr/bin/env node
// Training-throughput benchmark (samples/s) of the models the notebooks train, on every TF.js
// backend that loads here, side by side with PyTorch on the CPU where it can be had.
//
//   npm run bench                                   every model, every backend, PyTorch peers
//   npm run bench -- wasm cpu                       only these backends
//   npm run bench -- --models dense,conv2d          only these models (dense|conv2d|vae|conv1d)
//   npm run bench -- --rounds 5 --no-peers          more rounds; without PyTorch
//   npm run bench -- --latent [--tasks tsne,knn]    only the latent-space part (scripts/bench-latent.mjs)
//   npm run bench -- --no-latent                    without the latent-space part
//   npm run bench -- --trees [--rounds 3]           only the gradient-boosted trees part (scripts/bench-trees.mjs)
//   npm run bench -- --no-trees                     without the trees part
//
// After the training part, the latent-space part runs (PCA, t-SNE, k-means, kNN and UMAP against
// scikit-learn; see scripts/bench-latent.mjs) unless --no-latent is given, then the trees part
// (gradient-boosted trees against LightGBM; see scripts/bench-trees.mjs) unless --no-trees is given.
//
// Each measurement runs in a fresh process, through replearn's own trainer (`train`), after a
// warm-up. Rounds alternate ours and PyTorch's peers (bench/peers) at 1 and 2 threads, and the
// ratio printed is the median over rounds of ours / PyTorch's better thread setting.
// It asserts nothing about speed. It fails (exit 1) when a backend's training losses disagree
// with the `cpu` backend's beyond the stated tolerance, or when training leaks tensors.
// Results: a table on stdout and build/bench/bench.json.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { median, peerPython, takeOption } from './bench-shared.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
/** The built library (dist/, which `npm run bench` builds first). */
const library = () => require(path.join(root, 'dist', 'index.js'));
const batchSize = 128;
/** Relative tolerance of the agreement check: training losses of the first steps against `cpu`'s. */
const tolerance = 1e-3;
/** Wall time each timed run aims at, after its warm-up. */
const budgetMs = 4000;

const models = {
  dense: {
    title: 'dense AE 784-256-64-2 (BCE, Adam)',
    peer: 'torch_dense_ae.py',
    make: (r) => new r.DenseAutoencoder({ inputDim: 784, hiddenSizes: [256, 64], latentDim: 2, loss: 'bce', seed: 1 }),
    data: 'mnist',
    checkBatch: 16,
  },
  conv2d: {
    title: "2-D conv AE, the lecture's 28,353 parameters",
    peer: 'torch_conv_ae.py',
    make: (r) => new r.ConvAutoencoder({ inputShape: [28, 28, 1], filters: [32, 32], seed: 1 }),
    data: 'mnist',
    checkBatch: 4,
  },
  vae: {
    title: 'VAE 784-256-64-2 (negative ELBO, one step = sample + both terms)',
    peer: 'torch_vae.py',
    make: (r) => new r.Vae({ inputDim: 784, hiddenSizes: [256, 64], latentDim: 2, seed: 1 }),
    data: 'mnist',
    checkBatch: 16,
  },
  conv1d: {
    title: '1-D conv AE, signals of length 128, filters [16, 16], kernel 5',
    peer: 'torch_conv1d_ae.py',
    make: (r) => new r.ConvAutoencoder({ inputShape: [128, 1], filters: [16, 16], kernelSize: 5, seed: 1 }),
    data: 'signals',
    checkBatch: 8,
  },
};

let mnist;

function dataset(r, kind, count, offset = 0) {
  if (kind === 'mnist') {
    // Read once per process: the warm-up and the timed run both draw from it.
    mnist ??= r.loadMnist('train');
    const all = mnist;
    return r.subset(all, Array.from({ length: count }, (_, i) => (offset + i) % all.count));
  }
  // The library's synthetic signals without noise lie in [-1, 1]; the models' BCE wants [0, 1].
  const signals = r.makeSignals({ count, length: 128, noise: 0, seed: 1000 + offset });
  return r.makeDataset({ x: signals.x.map((v) => 0.5 + 0.5 * v), featureShape: signals.featureShape });
}

/** Losses of the first training steps: what the agreement check compares across backends. */
async function check(r, spec) {
  const model = spec.make(r);
  const losses = [];
  await r.train(model, {
    train: dataset(r, spec.data, spec.checkBatch * 3),
    epochs: 1,
    batchSize: spec.checkBatch,
    seed: 1,
    progress: false,
    callbacks: { onBatchEnd: (log) => losses.push(log.losses.total) },
  });
  model.dispose();
  return { losses };
}

async function speed(r, spec, backend) {
  const tf = r.tf;
  const tensorsBefore = tf.memory().numTensors;
  const model = spec.make(r);
  const times = [];
  let last = 0;
  const onBatchEnd = () => {
    const now = performance.now();
    times.push(now - last);
    last = now;
  };
  // Warm-up: one step on the slow pure-JS backend, three elsewhere; its step time sizes the timed run.
  const warmSteps = backend === 'cpu' ? 1 : 3;
  last = performance.now();
  await r.train(model, { train: dataset(r, spec.data, batchSize * warmSteps), epochs: 1, batchSize, seed: 1, progress: false, callbacks: { onBatchEnd } });
  const warmMs = Math.min(...times);
  const steps = Math.max(backend === 'cpu' ? 1 : 3, Math.min(60, Math.round(budgetMs / warmMs)));
  const data = dataset(r, spec.data, batchSize * steps, batchSize * warmSteps);
  times.length = 0;
  const rssBefore = process.memoryUsage().rss;
  last = performance.now();
  const result = await r.train(model, { train: data, epochs: 1, batchSize, seed: 2, progress: false, callbacks: { onBatchEnd } });
  const rssAfter = process.memoryUsage().rss;
  const memory = tf.memory();
  model.dispose();
  const sorted = [...times].sort((a, b) => a - b);
  return {
    steps,
    samplesPerSecond: (batchSize * steps) / (times.reduce((a, b) => a + b, 0) / 1000),
    medianStepMs: sorted[Math.floor(sorted.length / 2)],
    trainerSamplesPerSecond: result.samplesPerSecond,
    tensorsLeaked: tf.memory().numTensors - tensorsBefore,
    tensorBytesDuringTraining: memory.numBytes,
    rssGrowthMb: (rssAfter - rssBefore) / 2 ** 20,
    rssMb: rssAfter / 2 ** 20,
  };
}

if (process.argv[2] === '--child') {
  const [, , , mode, modelName, backend] = process.argv;
  try {
    const r = library();
    const report = await r.initBackend({ backend });
    const spec = models[modelName];
    const result = mode === 'check' ? await check(r, spec) : await speed(r, spec, backend);
    process.stdout.write(`RESULT ${JSON.stringify({ ...result, package: `${report.packageName} ${report.version}`, detail: report.detail })}\n`);
  } catch (error) {
    process.stdout.write(`UNAVAILABLE ${JSON.stringify(String(error instanceof Error ? error.message : error).split('\n')[0])}\n`);
  }
  process.exit(0);
}

// ---- parent ----
const args = process.argv.slice(2);
const latentScript = path.join(root, 'scripts', 'bench-latent.mjs');
const treesScript = path.join(root, 'scripts', 'bench-trees.mjs');
if (args.includes('--latent')) {
  // Only the latent-space part, with the remaining arguments (--tasks, --rounds, --no-peers).
  const run = spawnSync(process.execPath, [latentScript, ...args.filter((a) => a !== '--latent')], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
if (args.includes('--trees')) {
  // Only the trees part, with the remaining arguments (--rounds, --no-peers).
  const run = spawnSync(process.execPath, [treesScript, ...args.filter((a) => a !== '--trees')], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
const noLatent = args.includes('--no-latent');
if (noLatent) args.splice(args.indexOf('--no-latent'), 1);
const noTrees = args.includes('--no-trees');
if (noTrees) args.splice(args.indexOf('--no-trees'), 1);
const option = (name) => takeOption(args, name);
const noPeers = args.includes('--no-peers');
if (noPeers) args.splice(args.indexOf('--no-peers'), 1);
const modelNames = (option('--models') ?? Object.keys(models).join(',')).split(',');
const rounds = Number(option('--rounds') ?? 3);
const { backendNames: allBackends } = library();
const wanted = args.length > 0 ? args : allBackends;
for (const m of modelNames) if (!(m in models)) fail(`unknown model "${m}" (expected ${Object.keys(models).join('|')})`);
for (const b of wanted) if (!allBackends.includes(b)) fail(`unknown backend "${b}" (expected ${allBackends.join('|')})`);
if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a positive integer`);

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function child(mode, model, backend) {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, model, backend], { cwd: root, encoding: 'utf8', timeout: 900000 });
  const line = (run.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('UNAVAILABLE '));
  if (line?.startsWith('RESULT ')) return JSON.parse(line.slice(7));
  return { unavailable: line ? JSON.parse(line.slice(12)) : `exited with ${run.status}: ${(run.stderr ?? '').trim().split('\n').pop()}` };
}

/** A Python with torch: REPLEARN_TORCH_PYTHON, our venv (made on first use), or the system's. */
const torchPython = () => peerPython(root, { module: 'torch', pipPackage: 'torch', envName: 'REPLEARN_TORCH_PYTHON', label: 'PyTorch' });

function peer(python, script, threads) {
  const run = spawnSync(python, [path.join(root, 'bench', 'peers', script), '--threads', String(threads)], { encoding: 'utf8', timeout: 900000 });
  const m = /([\d.]+) samples\/s/.exec(run.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

console.log(`replearn bench: batch ${batchSize}, ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.versions.node}, load ${os.loadavg()[0].toFixed(1)}`);
const torch = noPeers ? { why: '--no-peers' } : torchPython();
if (torch.python) {
  const version = spawnSync(torch.python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
  console.log(`PyTorch peers: torch ${version} (${torch.python}), at 1 and 2 threads, alternating with ours`);
  torch.version = version;
} else {
  console.log(`PyTorch peers: not run (${torch.why})`);
}

const results = [];
let failures = 0;
for (const modelName of modelNames) {
  const spec = models[modelName];
  console.log(`\n${modelName}: ${spec.title}`);
  // Agreement with cpu: the losses of three training steps from the same weights and batches.
  const checks = {};
  for (const backend of [...new Set(['cpu', ...wanted])]) checks[backend] = child('check', modelName, backend);
  const reference = checks.cpu;
  const loaded = wanted.filter((b) => checks[b].unavailable === undefined);
  for (const b of wanted) if (checks[b].unavailable !== undefined) console.log(`  ${b}: unavailable: ${checks[b].unavailable}`);
  const agreement = {};
  for (const b of loaded) {
    if (reference.unavailable !== undefined) break;
    const diffs = checks[b].losses.map((v, i) => Math.abs(v - reference.losses[i]) / (1 + Math.abs(reference.losses[i])));
    const worst = Math.max(...diffs);
    agreement[b] = worst;
    if (!(worst <= tolerance)) {
      failures += 1;
      console.log(`  ${b}: DISAGREES with cpu: losses [${checks[b].losses.map((v) => v.toPrecision(7)).join(', ')}] vs [${reference.losses.map((v) => v.toPrecision(7)).join(', ')}] (tolerance ${tolerance})`);
    }
  }
  // Speed: rounds alternate every backend and the peer at 1 and 2 threads; the pure-JS cpu backend runs once.
  const runs = Object.fromEntries(loaded.map((b) => [b, []]));
  const peers = { 1: [], 2: [] };
  for (let round = 0; round < rounds; round++) {
    const line = [];
    for (const b of loaded) {
      if (b === 'cpu' && round > 0) continue;
      const res = child('speed', modelName, b);
      if (res.unavailable !== undefined) console.log(`  ${b}: failed: ${res.unavailable}`);
      else {
        runs[b].push({ ...res, round });
        line.push(`${b} ${Math.round(res.samplesPerSecond)}`);
      }
    }
    if (torch.python) {
      for (const t of [1, 2]) peers[t].push(peer(torch.python, spec.peer, t));
      line.push(`torch ${Math.round(peers[1][round] ?? NaN)} (1 thread) ${Math.round(peers[2][round] ?? NaN)} (2 threads)`);
    }
    console.log(`  round ${round + 1}: ${line.join(', ')} samples/s`);
  }
  const torchMedian = { 1: median(peers[1]), 2: median(peers[2]) };
  const bestThreads = torchMedian[2] !== undefined && (torchMedian[1] === undefined || torchMedian[2] > torchMedian[1]) ? 2 : 1;
  for (const b of loaded) {
    const rs = runs[b];
    if (rs.length === 0) continue;
    // Each of our runs is paired with the peer runs next to it in time.
    const ratios = rs.map((res) => {
      const t = peers[bestThreads][res.round] ?? torchMedian[bestThreads];
      return t === undefined ? undefined : res.samplesPerSecond / t;
    });
    const leaked = Math.max(...rs.map((x) => x.tensorsLeaked));
    if (leaked !== 0) {
      failures += 1;
      console.log(`  ${b}: training leaked ${leaked} tensors`);
    }
    results.push({
      model: modelName,
      backend: b,
      package: rs[0].package,
      detail: rs[0].detail,
      samplesPerSecond: median(rs.map((x) => x.samplesPerSecond)),
      medianStepMs: median(rs.map((x) => x.medianStepMs)),
      runs: rs.map((x) => x.samplesPerSecond),
      torch1: torchMedian[1],
      torch2: torchMedian[2],
      torchBestThreads: torch.python ? bestThreads : undefined,
      ratio: median(ratios),
      agreement: agreement[b],
      tensorsLeaked: leaked,
      rssGrowthMb: Math.max(...rs.map((x) => x.rssGrowthMb)),
      rssMb: Math.max(...rs.map((x) => x.rssMb)),
      tensorMb: Math.max(...rs.map((x) => x.tensorBytesDuringTraining)) / 2 ** 20,
    });
  }
}

const pad = (s, n) => String(s).padEnd(n);
const fmt = (x, digits = 0) => (x === undefined ? '-' : digits === 0 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits));
console.log(`\n${pad('model', 8)}${pad('backend', 12)}${pad('samples/s', 11)}${pad('ms/step', 9)}${pad('torch 1t', 10)}${pad('torch 2t', 10)}${pad('ratio', 8)}${pad('vs cpu', 9)}${pad('RSS MB', 8)}${pad('+RSS', 6)}tensors MB`);
for (const x of results) {
  console.log(
    `${pad(x.model, 8)}${pad(x.backend, 12)}${pad(fmt(x.samplesPerSecond), 11)}${pad(fmt(x.medianStepMs, 1), 9)}${pad(fmt(x.torch1), 10)}${pad(fmt(x.torch2), 10)}` +
      `${pad(x.ratio === undefined ? '-' : `${x.ratio.toFixed(3)}x`, 8)}${pad(x.agreement === undefined ? '-' : x.agreement.toExponential(0), 9)}${pad(fmt(x.rssMb), 8)}${pad(fmt(x.rssGrowthMb), 6)}${fmt(x.tensorMb, 1)}`,
  );
}
console.log(
  `\nratio: median over ${rounds} rounds of ours / PyTorch at its better thread count (per model); vs cpu: largest relative difference of the first three training losses from the cpu backend's (tolerance ${tolerance}); RSS: resident memory after the timed run and its growth during it; tensors MB: TF.js tensor memory held when the timed run ended (the weights; a run that leaks tensors fails the bench).`,
);
const out = path.join(root, 'build', 'bench');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(
  path.join(out, 'bench.json'),
  JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.versions.node, load: os.loadavg(), torch: torch.version ?? torch.why, tolerance, rows: results }, null, 2),
);
console.log(`written ${path.relative(root, path.join(out, 'bench.json'))}`);
let latentStatus = 0;
if (!noLatent) {
  console.log('\n---- latent-space tools ----');
  latentStatus = spawnSync(process.execPath, [latentScript, ...(noPeers ? ['--no-peers'] : [])], { stdio: 'inherit' }).status ?? 1;
}
let treesStatus = 0;
if (!noTrees) {
  console.log('\n---- gradient-boosted trees ----');
  treesStatus = spawnSync(process.execPath, [treesScript, ...(noPeers ? ['--no-peers'] : [])], { stdio: 'inherit' }).status ?? 1;
}
if (failures > 0) {
  console.error(`bench: ${failures} check(s) failed`);
  process.exit(1);
}
if (results.length === 0 || latentStatus !== 0 || treesStatus !== 0) process.exit(1);
