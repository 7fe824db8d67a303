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
};
