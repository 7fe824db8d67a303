// A plausible wrong answer for every exercise of the coursework notebooks, by the grade_id of its
// solution cell: the code that replaces the solution region. Each must fail the exercise's check
// (test/coursework/exercises.test.ts); the broken-submission test uses them too.

export const wrongAnswers: Record<string, Record<string, string>> = {
  '01-representation-learning': {
    // Height over width: the ratio upside down.
    'ex-aspect': `let top = 28, bottom = -1, left = 28, right = -1;
for (let row = 0; row < 28; row++) for (let column = 0; column < 28; column++) {
  if (image[row * 28 + column] > 0.5) { top = Math.min(top, row); bottom = Math.max(bottom, row); left = Math.min(left, column); right = Math.max(right, column); }
}
return bottom < 0 ? 0 : (bottom - top + 1) / (right - left + 1);`,
    // Balanced accuracy: the mean over classes of each class's share of right answers.
    'ex-confusion': `return counts.reduce((sum, row, t) => sum + row[t] / row.reduce((a, b) => a + b, 0), 0) / counts.length;`,
    // Centroids left as sums: the nearest "centroid" is then that of the rarest class.
    'ex-centroid': `const classes = Math.max(...Array.from(trainLabels)) + 1;
const sums = Array.from({ length: classes }, () => new Array<number>(dim).fill(0));
for (let i = 0; i < trainLabels.length; i++) for (let j = 0; j < dim; j++) sums[trainLabels[i]][j] += trainZ[i * dim + j];
let right = 0;
for (let i = 0; i < testLabels.length; i++) {
  let best = -1, bestDistance = Infinity;
  for (let c = 0; c < classes; c++) {
    let distance = 0;
    for (let j = 0; j < dim; j++) distance += (testZ[i * dim + j] - sums[c][j]) ** 2;
    if (distance < bestDistance) { bestDistance = distance; best = c; }
  }
  if (best === testLabels[i]) right += 1;
}
return right / testLabels.length;`,
  },
  '02-autoencoders': {
    // Weights only: the biases forgotten.
    'ex-params': `const widths = [inputDim, ...hiddenSizes, latentDim];
let total = 0;
for (let i = 0; i + 1 < widths.length; i++) total += 2 * widths[i] * widths[i + 1];
return total;`,
    // Summed over each digit's 784 pixels (the training loss), not averaged per pixel.
    'ex-bce': `let sum = 0;
for (let i = 0; i < x.length; i++) {
  const p = Math.min(Math.max(xHat[i], 1e-7), 1 - 1e-7);
  sum -= x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p);
}
return sum / (x.length / 784);`,
    // The mean forgotten: projecting the raw digit instead of the centred one.
    'ex-pca': `const dim = mean.length;
const out = new Float64Array(count * dim);
for (let i = 0; i < count; i++) for (let j = 0; j < k; j++) {
  let z = 0;
  for (let d = 0; d < dim; d++) z += basis[j * dim + d] * x[i * dim + d];
  for (let d = 0; d < dim; d++) out[i * dim + d] += z * basis[j * dim + d];
}
return out;`,
  },
  '03-training-process': {
    // Biases penalised too.
    'ex-l2': `let sum = 0;
for (const { variable } of variables) for (const value of await variable.data()) sum += value * value;
return lambda * sum;`,
    // The accumulator started at 0, as in Duchi et al.'s paper, not at TF.js's 0.1.
    'ex-adagrad': `const w = [...w0];
const a = w0.map(() => 0);
for (const g of gradients) for (let i = 0; i < w.length; i++) {
  a[i] += g[i] * g[i];
  w[i] -= (learningRate * g[i]) / (Math.sqrt(a[i]) + 1e-7);
}
return w;`,
    // The mean of the batch means: the smaller last batch weighs as much as a full one.
    'ex-validation': `const means: number[] = [];
for (const batch of batches(data, { batchSize, shuffle: false })) {
  const x = tf.tensor2d(batch.x, [batch.size, 784]);
  const labels = tf.tensor1d(batch.labels!, 'int32');
  const logits = model.logits(x);
  const loss = softmaxCrossEntropy(labels, logits);
  means.push((await loss.data())[0]);
  tf.dispose([x, labels, logits, loss]);
}
return means.reduce((a, b) => a + b, 0) / means.length;`,
  },
  '04-autoencoder-variants': {
    // The KL of each code averaged over the batch, instead of the KL of the batch's average activation.
    'ex-kl': `let total = 0;
for (let j = 0; j < units; j++) for (let i = 0; i < count; i++) {
  const q = Math.min(Math.max(codes[i * units + j], 1e-6), 1 - 1e-6);
  total += (rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q))) / count;
}
return beta * total;`,
    // "Half each" read as a threshold at 0.5: pepper below it, salt above, so a fraction under 0.5 gives only pepper.
    'ex-salt': `const out = new Float32Array(x.length);
for (let i = 0; i < x.length; i++) out[i] = noise[i] < fraction ? (noise[i] < 0.5 ? 0 : 1) : x[i];
return out;`,
    // The slope z(1 - z) not squared.
    'ex-contractive': `let total = 0;
for (let j = 0; j < k; j++) {
  let preActivation = b[j];
  let columnNorm = 0;
  for (let i = 0; i < inputDim; i++) { preActivation += x[i] * w[i * k + j]; columnNorm += w[i * k + j] ** 2; }
  const z = 1 / (1 + Math.exp(-preActivation));
  total += z * (1 - z) * columnNorm;
}
return total;`,
  },
  '05-convolutional-autoencoders': {
    // The last convolution back to the image's channels forgotten.
    'ex-conv-params': `const layer = (cIn: number, cOut: number) => kernelSize * kernelSize * cIn * cOut + cOut;
let total = 0;
const widths = [channels, ...filters];
for (let i = 0; i + 1 < widths.length; i++) total += layer(widths[i], widths[i + 1]);
const reversed = [...filters].reverse();
for (let i = 0; i < reversed.length; i++) total += layer(i === 0 ? reversed[0] : reversed[i - 1], reversed[i]);
return total;`,
    // The padding left out of the remainder: right whenever 2p is a multiple of s, wrong otherwise.
    'ex-output-padding': `return (n - k) % s;`,
    // Each index read as the offset within its window instead of the position along the signal.
    'ex-unpool': `const out = new Float32Array(outputLength * channels);
const size = Math.floor(outputLength / frames);
for (let f = 0; f < frames; f++) for (let c = 0; c < channels; c++) {
  const position = f * size + indices[f * channels + c];
  if (position < outputLength) out[position * channels + c] = y[f * channels + c];
}
return out;`,
  },
  '06-variational-autoencoders': {
    // The variance used where the formula has the log-variance: sigma^2 + mu^2 - 1 - sigma^2.
    'ex-kl': `let sum = 0;
for (let j = 0; j < mean.length; j++) sum += Math.exp(logVar[j]) + mean[j] ** 2 - 1 - Math.exp(logVar[j]);
return 0.5 * sum;`,
    // The variance where the standard deviation belongs: exp(logVar) instead of exp(logVar / 2).
    'ex-reparam': `return tf.tidy(() => mean.add(logVar.exp().mul(eps)));`,
    // Exponentiated directly: right for moderate weights, -Infinity once they underflow.
    'ex-iwae': `const w = logPxGivenZ.map((v, j) => Math.exp(v + logPz[j] - logQ[j]));
return Math.log(w.reduce((s, v) => s + v, 0) / w.length);`,
  },
  '07-vq-vae': {
    // The most aligned code word (largest dot product) instead of the nearest: ||e||^2 forgotten.
    'ex-nearest': `return vectors.map((v) => {
  let best = 0, bestScore = -Infinity;
  codebook.forEach((e, k) => {
    const score = v.reduce((sum, value, j) => sum + value * e[j], 0);
    if (score > bestScore) { bestScore = score; best = k; }
  });
  return best;
});`,
    // No stop-gradients: the same values, but both terms train both the encoder and the codebook.
    'ex-loss': `return tf.tidy(() => {
  const n = x.shape[0];
  const reconstruction = tf.squaredDifference(x, xHat).sum().div(n) as tf.Scalar;
  const codebook = tf.squaredDifference(encoded, codes).sum().div(n) as tf.Scalar;
  const commitment = tf.squaredDifference(encoded, codes).sum().div(n) as tf.Scalar;
  return { reconstruction, codebook, commitment, total: reconstruction.add(codebook).add(commitment.mul(beta)) as tf.Scalar };
});`,
    // 2 to the power of an entropy in nats: the base of the exponential must match the logarithm's.
    'ex-perplexity': `const total = counts.reduce((a, b) => a + b, 0);
let entropy = 0;
for (const n of counts) if (n > 0) entropy -= (n / total) * Math.log(n / total);
return 2 ** entropy;`,
  },
  '08-latent-spaces': {
    // The entropy in bits (log2) set against ln(perplexity): the bases of the logarithms must match.
    'ex-perplexity': `const target = Math.log(perplexity);
const smallest = Math.min(...distancesSquared);
let beta = 1, low = 0, high = Infinity;
let p: number[] = [];
for (let step = 0; step < 200; step++) {
  const w = distancesSquared.map((d) => Math.exp(-beta * (d - smallest)));
  const sum = w.reduce((a, b) => a + b, 0);
  p = w.map((v) => v / sum);
  const entropy = -p.reduce((s, v) => s + (v > 0 ? v * Math.log2(v) : 0), 0);
  if (Math.abs(entropy - target) < 1e-9) break;
  if (entropy > target) { low = beta; beta = high === Infinity ? beta * 2 : (beta + high) / 2; } else { high = beta; beta = (low + beta) / 2; }
}
return { beta, p };`,
    // Ranks counted from 0 (the nearest other point rank 0 instead of 1): every penalty one too small.
    'ex-trust': `const n = original.length;
const distance = (a: number[], b: number[]) => a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0);
let penalty = 0;
for (let i = 0; i < n; i++) {
  const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
  const byOriginal = [...others].sort((a, b) => distance(original[i], original[a]) - distance(original[i], original[b]));
  const rank = new Map(byOriginal.map((j, r) => [j, r]));
  const nearestInMap = [...others].sort((a, b) => distance(embedded[i], embedded[a]) - distance(embedded[i], embedded[b])).slice(0, k);
  for (const j of nearestInMap) penalty += Math.max(0, rank.get(j)! - k);
}
return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;`,
    // Weights D instead of D^2: still spreads the seeds, but not with the k-means++ probabilities.
    'ex-kmeanspp': `const n = points.length;
const distance = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0));
const chosen = [Math.min(n - 1, Math.floor(uniforms[0] * n))];
const w = points.map((p) => distance(p, points[chosen[0]]));
for (let t = 1; t < k; t++) {
  const target = uniforms[t] * w.reduce((a, b) => a + b, 0);
  let i = 0, cumulative = w[0];
  while (cumulative <= target && i < n - 1) { i++; cumulative += w[i]; }
  chosen.push(i);
  points.forEach((p, j) => { w[j] = Math.min(w[j], distance(p, points[i])); });
}
return chosen;`,
  },
  '09-downstream': {
    // One point per example instead of per distinct score: tied scores are split in sort order, so a
    // positive tied with a negative counts as ranked above or below it instead of half.
    'ex-roc': `const positives = labels.filter((l) => l === 1).length;
const negatives = labels.length - positives;
const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
const fpr = [0];
const tpr = [0];
let truePositives = 0;
let falsePositives = 0;
for (const i of order) {
  if (labels[i] === 1) truePositives++;
  else falsePositives++;
  fpr.push(falsePositives / negatives);
  tpr.push(truePositives / positives);
}
let area = 0;
for (let p = 1; p < fpr.length; p++) area += ((fpr[p] - fpr[p - 1]) * (tpr[p] + tpr[p - 1])) / 2;
return { fpr, tpr, area };`,
    // The false-positive rate taken over all examples instead of over the negatives: the budget is
    // overspent by the share of positives.
    'ex-threshold': `const candidates = [...new Set(scores)].sort((a, b) => b - a);
let chosen = Infinity;
for (const t of candidates) {
  const flaggedNegatives = scores.filter((s, i) => s >= t && labels[i] === 0).length;
  if (flaggedNegatives / scores.length > maxFpr) break;
  chosen = t;
}
return chosen;`,
    // tf.variableGrads without a variable list differentiates every trainable variable, the encoder's
    // too, and the loop then updates them all: nothing is frozen.
    'ex-freeze': `const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(labels, head.apply(encoder.apply(x))));
tf.tidy(() => {
  for (const v of [...encoder.variables, ...head.variables].map((n) => n.variable)) v.assign(v.sub(grads[v.name].mul(learningRate)));
});
const before = value.dataSync()[0];
tf.dispose([value, ...Object.values(grads)]);
return before;`,
  },
  '10-synthetic-augmentation': {
    // The lecture's plain gradient step instead of LightGBM's Newton step: every hessian taken as 1, so
    // a leaf moves by -eta G / (count + lambda) and the leaf values come out too small.
    'ex-boost': `const positives = labels.filter((y) => y === 1).length;
const f0 = Math.log(positives / (labels.length - positives));
const p = 1 / (1 + Math.exp(-f0));
const gradients = labels.map((y) => p - y);
const hessians = labels.map(() => 1);
const sumG = new Array(leaves).fill(0);
const sumH = new Array(leaves).fill(0);
leafOf.forEach((leaf, i) => {
  sumG[leaf] += gradients[i];
  sumH[leaf] += hessians[i];
});
const leafValues = sumG.map((g, leaf) => (-learningRate * g) / (sumH[leaf] + lambda));
const scores = leafOf.map((leaf) => f0 + leafValues[leaf]);
return { f0, gradients, hessians, leafValues, scores };`,
    // The mean and standard deviation taken over all three parts pooled: the test rows shape the
    // parameters (the leak the exercise is about).
    'ex-trainonly': `const all = [...parts.train, ...parts.validation, ...parts.test];
const n = all.length;
const cols = all[0].length;
const mean = Array.from({ length: cols }, (_, c) => all.reduce((s, row) => s + row[c], 0) / n);
const sd = Array.from({ length: cols }, (_, c) => Math.sqrt(all.reduce((s, row) => s + (row[c] - mean[c]) ** 2, 0) / (n - 1)));
const apply = (rows: number[][]) => rows.map((row) => row.map((v, c) => (v - mean[c]) / sd[c]));
return { train: apply(parts.train), validation: apply(parts.validation), test: apply(parts.test) };`,
    // Squared distances: the order of the rows is right, the distances are not.
    'ex-dcr': `return rows.map((row) => Math.min(...reference.map((other) => other.reduce((s, v, j) => s + (v - row[j]) ** 2, 0))));`,
  },
};
