#!/usr/bin/env node
// Training-throughput benchmark: samples/s of the dense autoencoder 784-256-64-2-64-256-784
// (binary cross-entropy, Adam, batch 128) on MNIST, on every backend that loads here. Each
// backend runs in its own process. Results: a table on stdout and build/bench/dense-ae.json.
//   npm run bench                       every backend
//   node scripts/bench.mjs wasm cpu     only these
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const allBackends = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const batchSize = 128;
// Timed steps per backend, after warm-up steps: enough for a few seconds of work on each.
const steps = { 'tensorflow-gpu': 200, tensorflow: 100, wasm: 40, cpu: 8 };
const warmup = 3;

async function measure(backend) {
  const r = require(path.join(root, 'dist', 'index.js'));
  const report = await r.initBackend({ backend });
  const n = steps[backend];
  const data = r.take(r.loadMnist('train'), batchSize * n);
  const warm = r.take(r.loadMnist('train'), batchSize * warmup);
  const model = new r.DenseAutoencoder({ inputDim: 784, hiddenSizes: [256, 64], latentDim: 2, loss: 'bce', seed: 1 });
  await r.train(model, { train: warm, epochs: 1, batchSize, seed: 1, progress: false });
  const times = [];
  let last = performance.now();
  await r.train(model, {
    train: data,
    epochs: 1,
    batchSize,
    seed: 2,
    progress: false,
    callbacks: {
      onBatchEnd: () => {
        const now = performance.now();
        times.push(now - last);
        last = now;
      },
    },
  });
  model.dispose();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const total = times.reduce((a, b) => a + b, 0);
  return {
    backend,
    package: `${report.packageName} ${report.version}`,
    detail: report.detail,
    steps: n,
    batchSize,
    samplesPerSecond: (batchSize * n) / (total / 1000),
    medianStepMs: median,
  };
}

if (process.argv[2] === '--child') {
  try {
    const result = await measure(process.argv[3]);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } catch (error) {
    process.stdout.write(`UNAVAILABLE ${JSON.stringify(String(error instanceof Error ? error.message : error).split('\n')[0])}\n`);
  }
  process.exit(0);
}

const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : allBackends;
for (const b of wanted) {
  if (!allBackends.includes(b)) {
    console.error(`bench: unknown backend "${b}" (expected ${allBackends.join('|')})`);
    process.exit(2);
  }
}
console.log(`dense autoencoder 784-256-64-2-64-256-784, BCE, Adam, batch ${batchSize}, MNIST; ${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.versions.node}`);
const rows = [];
for (const backend of wanted) {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', backend], { cwd: root, encoding: 'utf8', timeout: 600000 });
  const line = (child.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('UNAVAILABLE '));
  if (line?.startsWith('RESULT ')) rows.push(JSON.parse(line.slice(7)));
  else rows.push({ backend, unavailable: line ? JSON.parse(line.slice(12)) : `exited with ${child.status}: ${(child.stderr ?? '').trim().split('\n').pop()}` });
}
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('backend', 16)}${pad('samples/s', 12)}${pad('ms/step', 10)}package / why not`);
for (const row of rows) {
  if (row.unavailable !== undefined) console.log(`${pad(row.backend, 16)}${pad('-', 12)}${pad('-', 10)}unavailable: ${row.unavailable}`);
  else console.log(`${pad(row.backend, 16)}${pad(Math.round(row.samplesPerSecond).toLocaleString('en-US'), 12)}${pad(row.medianStepMs.toFixed(1), 10)}${row.package} (${row.detail})`);
}
const out = path.join(root, 'build', 'bench');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'dense-ae.json'), JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, node: process.versions.node, rows }, null, 2));
console.log(`written ${path.relative(root, path.join(out, 'dense-ae.json'))}`);
if (!rows.some((r) => r.unavailable === undefined)) process.exit(1);
