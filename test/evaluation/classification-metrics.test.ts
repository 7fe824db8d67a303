import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random } from '../../src/core/random';
import { auroc, averagePrecision, confusionMatrix, precisionRecallCurve, ratesAt, rmse, rocCurve, thresholdAtFpr } from '../../src/evaluation/classification-metrics';

// A fixed set with tied scores. The scikit-learn 1.9.1 values below came from (its venv's python):
//   from sklearn.metrics import roc_auc_score, average_precision_score, roc_curve, precision_recall_curve, confusion_matrix
//   scores=[0.9,0.8,0.8,0.7,0.6,0.6,0.6,0.4,0.3,0.1,0.35,0.55]; labels=[1,1,0,1,0,1,0,0,1,0,0,1]
//   roc_auc_score(labels,scores), average_precision_score(labels,scores)
//   roc_curve(labels,scores,drop_intermediate=False); precision_recall_curve(labels,scores)
//   confusion_matrix([0,1,2,2,1,0],[0,2,2,2,1,1])
const scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.6, 0.4, 0.3, 0.1, 0.35, 0.55];
const labels = [1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0, 1];
const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-12 || a[i] === b[i], `${what}[${i}]: ${a[i]} against ${b[i]}`);
};

describe('classification metrics against scikit-learn on a fixed set with ties', () => {
  it('AUROC and average precision', () => {
    assert.ok(Math.abs(auroc(scores, labels) - 0.6805555555555556) < 1e-12);
    assert.ok(Math.abs(averagePrecision(scores, labels) - 0.6930916305916305) < 1e-12);
  });

  it('the ROC curve, tied scores as one step', () => {
    const roc = rocCurve(scores, labels);
    close(roc.fpr, [0, 0, 1 / 6, 1 / 6, 0.5, 0.5, 2 / 3, 5 / 6, 5 / 6, 1], 'fpr');
    close(roc.tpr, [0, 1 / 6, 1 / 3, 0.5, 2 / 3, 5 / 6, 5 / 6, 5 / 6, 1, 1], 'tpr');
    close(roc.thresholds, [Infinity, 0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.35, 0.3, 0.1], 'thresholds');
  });

  it('the precision-recall curve (scikit-learn lists it from the lowest threshold and appends (1, 0))', () => {
    const pr = precisionRecallCurve(scores, labels);
    close(pr.precision, [1, 2 / 3, 0.75, 0.5714285714285714, 0.625, 0.5555555555555556, 0.5, 0.5454545454545454, 0.5], 'precision');
    close(pr.recall, [1 / 6, 1 / 3, 0.5, 2 / 3, 5 / 6, 5 / 6, 5 / 6, 1, 1], 'recall');
    close(pr.thresholds, [0.9, 0.8, 0.7, 0.6, 0.55, 0.4, 0.35, 0.3, 0.1], 'thresholds');
  });

  it('the confusion matrix, rows the true class', () => {
    assert.deepEqual(confusionMatrix([0, 2, 2, 2, 1, 1], [0, 1, 2, 2, 1, 0]), [[1, 1, 0], [0, 1, 1], [0, 0, 2]]);
    assert.deepEqual(confusionMatrix([0], [0], 3), [[1, 0, 0], [0, 0, 0], [0, 0, 0]]);
  });
});

describe('classification metrics on cases whose answer is known', () => {
  it('AUROC is the share of positive-negative pairs ordered right, ties counting half (brute force)', () => {
    const random = new Random(4);
    for (const n of [7, 40, 301]) {
      // Scores rounded to one decimal: many ties.
      const s = Array.from({ length: n }, () => Math.round(random.next() * 10) / 10);
      const y: number[] = s.map((v) => (random.next() < 0.3 + 0.4 * v ? 1 : 0));
      if (!y.includes(0) || !y.includes(1)) y[0] = 1 - y[0];
      let pairs = 0;
      let right = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        if (y[i] !== 1 || y[j] !== 0) continue;
        pairs++;
        right += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
      assert.ok(Math.abs(auroc(s, y) - right / pairs) < 1e-12, `n ${n}`);
    }
  });

  it('gives 1 for a perfect ranking, 0 for a reversed one, 0.5 for constant scores', () => {
    assert.equal(auroc([3, 2, 1, 0], [1, 1, 0, 0]), 1);
    assert.equal(auroc([0, 1, 2, 3], [1, 1, 0, 0]), 0);
    assert.equal(auroc([5, 5, 5, 5], [1, 0, 1, 0]), 0.5);
    assert.equal(averagePrecision([3, 2, 1, 0], [1, 1, 0, 0]), 1);
  });

  it('counts and rates at a threshold: called positive when the score is at least the threshold', () => {
    const r = ratesAt(scores, labels, 0.6);
    assert.deepEqual([r.truePositives, r.falsePositives, r.trueNegatives, r.falseNegatives], [4, 3, 3, 2]);
    assert.equal(r.tpr, 4 / 6);
    assert.equal(r.fpr, 3 / 6);
    assert.equal(r.precision, 4 / 7);
    assert.equal(r.accuracy, 7 / 12);
    assert.equal(ratesAt(scores, labels, 2).precision, 1, 'nothing called positive: no false alarm');
    const roc = rocCurve(scores, labels);
    for (let p = 1; p < roc.thresholds.length; p++) {
      const at = ratesAt(scores, labels, roc.thresholds[p]);
      assert.deepEqual([at.fpr, at.tpr], [roc.fpr[p], roc.tpr[p]], 'each ROC point is the rates at its threshold');
    }
  });

  it('RMSE', () => {
    assert.equal(rmse([1, 2, 3], [1, 2, 3]), 0);
    assert.equal(rmse([0, 0], [3, 4]), Math.sqrt(12.5));
  });

  it('rejects what it cannot score, naming the problem', () => {
    assert.throws(() => auroc([1, 2], [1]), /2 scores for 1 labels/);
    assert.throws(() => auroc([1, 2], [1, 1]), /needs both classes, got 2 positives and 0 negatives/);
    assert.throws(() => rocCurve([1, 2], [1, 2]), /labels must be 0 or 1, got 2 at 1/);
    assert.throws(() => ratesAt([NaN, 1], [0, 1], 0.5), /score 0 is NaN/);
    assert.throws(() => confusionMatrix([0, 1.5], [0, 1]), /non-negative integers, got 1.5 at 1/);
    assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), /class 3 outside 0..2/);
    assert.throws(() => rmse([], []), /no values/);
    assert.throws(() => rmse([1], [1, 2]), /1 predictions for 2 values/);
  });
});

describe('thresholdAtFpr', () => {
  it('finds the threshold of highest TPR with FPR at most the budget, as a brute-force search over every score does', () => {
    // Negatives at 0.1, 0.4, 0.35, 0.8 and positives at 0.3, 0.5, 0.9, 0.7 (a tie-free hand case).
    const scores = [0.1, 0.4, 0.35, 0.8, 0.3, 0.5, 0.9, 0.7];
    const labels = [0, 0, 0, 0, 1, 1, 1, 1];
    const none = thresholdAtFpr(scores, labels, 0);
    assert.deepEqual([none.threshold, none.tpr, none.fpr], [0.9, 0.25, 0], 'no false alarm allowed: only the top positive, above the negative at 0.8');
    const quarter = thresholdAtFpr(scores, labels, 0.25);
    assert.deepEqual([quarter.threshold, quarter.tpr, quarter.fpr], [0.5, 0.75, 0.25]);
    const all = thresholdAtFpr(scores, labels, 1);
    assert.deepEqual([all.threshold, all.tpr, all.fpr], [0.1, 1, 1]);
    const top = thresholdAtFpr([0.9, 0.1], [0, 1], 0);
    assert.deepEqual([top.threshold, top.tpr, top.fpr], [Infinity, 0, 0], 'the best-scored example is a negative: nothing can be flagged');
    let seed = 5;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 20; trial++) {
      const s = Array.from({ length: 40 }, () => Math.round(next() * 20) / 20);
      const l = s.map((v, i) => (i < 2 ? i : next() < v ? 1 : 0));
      for (const budget of [0, 0.05, 0.2, 0.5]) {
        const got = thresholdAtFpr(s, l, budget);
        const best = Math.max(...[Infinity, ...s].map((t) => ratesAt(s, l, t)).filter((r) => r.fpr <= budget).map((r) => r.tpr));
        assert.ok(got.fpr <= budget && got.tpr === best, `trial ${trial}, budget ${budget}: tpr ${got.tpr} fpr ${got.fpr}, best ${best}`);
      }
    }
    assert.throws(() => thresholdAtFpr(scores, labels, 1.5), /maxFpr must be a number in \[0, 1\], got 1.5/);
  });
});
