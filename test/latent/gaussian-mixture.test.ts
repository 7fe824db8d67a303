import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Random } from '../../src/core/random';
import type { Embedding } from '../../src/latent/embed';
import { adjustedRandIndex } from '../../src/evaluation/embedding-metrics';
import { gaussianMixture, GaussianMixtureModel } from '../../src/latent/gaussian-mixture';

const embedding = (rows: number[][]): Embedding => ({ z: Float32Array.from(rows.flat()), count: rows.length, latentDim: rows[0].length });
const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * (1 + Math.abs(b)), `${what}: ${a}, expected ${b} (tolerance ${tol})`);
const allClose = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: ${a.length} values, expected ${b.length}`);
  for (let i = 0; i < b.length; i++) close(a[i], b[i], tol, `${what}[${i}]`);
};

// A fixed small set: 45 points of three overlapping Gaussians in 3-D, rounded to 2 decimals and
// read as float32 on both sides. The scikit-learn 1.9.1 values below came from this script:
//
//   import numpy as np
//   from sklearn.mixture import GaussianMixture
//   X = np.array(<the rows of X below>, dtype=np.float32).astype(np.float64)
//   M = np.array([[-1.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 2.0, 1.0]])
//   labels = ((X[:, None, :] - M[None]) ** 2).sum(2).argmin(1)
//   def start(cov_type):
//       # our initialMeans start: weights and covariances of the points nearest each mean, means = M
//       w = np.array([(labels == c).sum() for c in range(3)]) / len(X)
//       if cov_type == 'full':
//           P = [np.linalg.inv(np.cov(X[labels == c].T, bias=True) + 1e-6 * np.eye(3)) for c in range(3)]
//       else:
//           P = [1 / (X[labels == c].var(0) + 1e-6) for c in range(3)]
//       return dict(weights_init=w, means_init=M, precisions_init=np.array(P))
//   for cov_type in ['full', 'diag']:
//       for max_iter in [100, 3]:
//           g = GaussianMixture(3, covariance_type=cov_type, max_iter=max_iter, **start(cov_type)).fit(X)
//           g.n_iter_, g.converged_, g.lower_bound_, g.score(X), g.bic(X), g.weights_, g.means_,
//           g.covariances_, g.predict(X), g.score_samples(X[:3])
//   # the default start (labels of one k-means run), to a tight tolerance; components by first coordinate
//   g = GaussianMixture(3, tol=1e-10, max_iter=1000, random_state=0).fit(X)
//   order = np.argsort(g.means_[:, 0]); g.n_iter_, g.score(X), g.means_[order], g.weights_[order]
const X = [
  [0.15, 0.16, -0.16], [2.2, 0.59, -0.89], [1.07, 4.47, 1.46], [-0.38, 0.5, 0.09], [3.09, 0.16, -0.03], [1.76, 1.52, 1.5], [-2.55, -1.58, -1.49], [2.79, -0.14, 0.24], [1.17, 2.79, -0.77],
  [-0.56, -0.0, -0.04], [1.62, 0.57, -0.88], [0.11, 4.17, 1.11], [0.41, 0.53, -0.36], [2.9, 1.1, 0.06], [-0.35, 3.08, 3.49], [-1.12, 0.72, -0.24], [2.42, 2.8, 0.69], [-0.32, 3.08, 2.63],
  [0.15, 0.53, -0.08], [3.6, 2.29, -0.61], [1.22, 2.49, 2.14], [-1.48, -0.52, -0.36], [3.81, 2.03, -1.19], [0.13, 3.71, -0.19], [-0.51, 0.3, 0.66], [3.62, 0.71, -0.33], [0.72, 4.68, 1.53],
  [-0.13, 0.25, -0.13], [2.82, -0.0, -0.01], [0.51, 4.28, 2.72], [0.31, 0.43, -0.21], [3.95, 1.0, 0.53], [-0.42, 3.38, 0.14], [-2.19, -0.51, -0.95], [3.15, 3.02, -0.75], [0.31, 3.23, 2.54],
  [-0.28, 0.05, 0.39], [3.47, 0.07, -0.07], [1.04, 1.84, 2.29], [-0.37, 0.84, -0.06], [3.08, 0.47, -0.11], [-1.2, 1.76, 2.4], [-1.71, 0.15, -1.47], [3.68, 0.24, 0.7], [1.14, 1.31, 3.37],
];
const initialMeans = [-1, 0, 0, 2, 0, 0, 0, 2, 1];
const sklearn = {
  full100: {
    iterations: 5, converged: true, lowerBound: -4.189318815592226, score: -4.189198371751977, bic: 487.42106566101717,
    weights: [0.34393956718569874, 0.30996417303869206, 0.3460962597756092],
    means: [-0.6080914147653889, 0.16679812611136746, -0.23836017960936326, 3.127409674056076, 0.8583254385646745, -0.23678051346571108, 0.5534284571078755, 3.081747783692259, 1.6881542264569587],
    covariances: [
      0.9496341058855154, 0.48263069448245294, 0.48809781031131017, 0.48263069448245294, 0.3966615893485191, 0.2698109564946269, 0.48809781031131017, 0.2698109564946269, 0.41968275313967607,
      0.388454719944797, 0.1595325349522175, 0.11344815111570064, 0.15953253495221748, 0.8262277982693618, -0.26759336910545317, 0.11344815111570063, -0.26759336910545317, 0.2914135397666613,
      0.7903601689605778, -0.10146738483691227, -0.24122717724790957, -0.10146738483691227, 1.0201396695944296, -0.33395489998013445, -0.2412271772479097, -0.33395489998013445, 1.5108862722969962,
    ],
    labels: [0, 1, 2, 0, 1, 0, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 2, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
    scoreSamples: [-2.9618364371086274, -3.846498009013753, -5.135972348611714],
  },
  full3: {
    iterations: 3, converged: false, lowerBound: -4.194015291396593, score: -4.189642040249609, bic: 487.4609958258041,
    weights: [0.3415094155681211, 0.30886231439105183, 0.349628270040827],
    means: [-0.6237613645831362, 0.1578364749717363, -0.2497238601240882, 3.128756926707728, 0.8541873327874647, -0.23502605561067205, 0.5675829586843089, 3.0668889349141213, 1.6782471039252667],
    covariances: [
      0.9195507018351249, 0.4650273900667929, 0.4648381481817395, 0.4650273900667929, 0.38738709314516045, 0.2564138501294536, 0.4648381481817395, 0.25641385012945367, 0.40293298032917657,
      0.387496846604451, 0.1593956742768692, 0.11302730360773694, 0.1593956742768692, 0.8196708579398492, -0.2663672076144234, 0.11302730360773695, -0.2663672076144234, 0.29128109676785574,
      0.808563622056602, -0.11642246519461194, -0.25612453387816847, -0.11642246519461194, 1.0370831407051078, -0.3180754386887179, -0.25612453387816847, -0.3180754386887179, 1.5163830014234017,
    ],
    labels: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 2, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
    scoreSamples: [-2.9545214193593416, -3.8492213431974185, -5.148724006698496],
  },
  diag100: {
    iterations: 8, converged: true, lowerBound: -4.5734979641149, score: -4.573129035979927, bic: 487.71486303359984,
    weights: [0.36240756996583545, 0.2905441850233211, 0.34704824501084347],
    means: [-0.47304024931539523, 0.1585998462828846, -0.34278209601076787, 3.241087274365445, 0.9688430751324781, -0.13850679635602164, 0.5230744819108958, 3.0284852325691394, 1.709727883326091],
    covariances: [1.2279600927497063, 0.3353863152687549, 0.33193736252319755, 0.2257407649896884, 1.0111403165842139, 0.29076323624175254, 0.7108196117008948, 1.1245164555709841, 1.4793866956749369],
    labels: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 2, 0, 1, 2, 0, 2, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
    scoreSamples: [-2.982353230184436, -5.534723834828438, -5.054353895373833],
  },
  diag3: {
    iterations: 3, converged: false, lowerBound: -4.59366294843918, score: -4.58346451015883, bic: 488.64505570970107,
    weights: [0.3427992091113683, 0.3096949682959774, 0.34750582259265433],
    means: [-0.6045912805960444, 0.13637265534609536, -0.3173416096257805, 3.159813328085933, 0.949455933979175, -0.17667381155435727, 0.5192802164911419, 3.0192582673162294, 1.7046860668122197],
    covariances: [0.9596085924328843, 0.3441728930484187, 0.33388091431495526, 0.32074964073630313, 0.9683372667052018, 0.3058655835681432, 0.707874583291846, 1.1487428412430531, 1.4895528990974982],
    labels: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 0, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
    scoreSamples: [-3.0561562126470916, -5.006488749110749, -5.0600087126889575],
  },
  kmeansStart: {
    iterations: 28, score: -4.189104656693864,
    means: [-0.593919583486532, 0.17491961153875862, -0.22797467650321449, 0.544942500256403, 3.091401490435562, 1.6904812195924002, 3.1273677169922385, 0.8592411302376505, -0.23703237988548048],
    weights: [0.34601129050377777, 0.34385604494444577, 0.31013266455177646],
  },
};

describe('gaussianMixture against scikit-learn on a fixed set', () => {
  const data = embedding(X);
  for (const covariance of ['full', 'diag'] as const) {
    for (const maxIterations of [100, 3]) {
      it(`${covariance} covariances, from given means, at most ${maxIterations} iterations`, () => {
        const expected = sklearn[`${covariance}${maxIterations}` as 'full100'];
        const g = gaussianMixture(data, 3, { covariance, maxIterations, initialMeans, seed: 0 });
        assert.equal(g.iterations, expected.iterations);
        assert.equal(g.converged, expected.converged);
        close(g.lowerBound, expected.lowerBound, 1e-10, 'lower bound');
        close(g.logLikelihood, expected.score, 1e-10, 'mean log-likelihood (score)');
        close(g.bic(data), expected.bic, 1e-10, 'BIC');
        allClose(g.weights, expected.weights, 1e-9, 'weights');
        allClose(g.means, expected.means, 1e-9, 'means');
        allClose(g.covariances, expected.covariances, 1e-9, 'covariances');
        assert.deepEqual([...g.labels], expected.labels);
        assert.deepEqual([...g.predict(data)], expected.labels);
        allClose(g.logDensity(embedding(X.slice(0, 3))), expected.scoreSamples, 1e-10, 'log densities (score_samples)');
      });
    }
  }

  it('from k-means labels, to a tight tolerance, reaches scikit-learn\'s optimum', () => {
    const g = gaussianMixture(data, 3, { tolerance: 1e-10, maxIterations: 1000, seed: 0 });
    assert.ok(g.converged);
    // Near an optimum EM converges slowly and the log-likelihood is flat: a change below 1e-10 per
    // iteration leaves the parameters about 1e-5 from it, by a path that depends on the start.
    close(g.logLikelihood, sklearn.kmeansStart.score, 1e-9, 'mean log-likelihood');
    const order = [0, 1, 2].sort((a, b) => g.means[a * 3] - g.means[b * 3]);
    allClose(order.flatMap((c) => [...g.means.subarray(c * 3, c * 3 + 3)]), sklearn.kmeansStart.means, 1e-4, 'means by first coordinate');
    allClose(order.map((c) => g.weights[c]), sklearn.kmeansStart.weights, 1e-4, 'weights by first coordinate');
  });

  it('the log-likelihood never falls across EM iterations, and restarts keep the best run', () => {
    const g = gaussianMixture(data, 3, { tolerance: 1e-10, maxIterations: 1000, seed: 0 });
    assert.ok(g.history.length > 10, `${g.history.length} iterations`);
    assert.equal(g.history.length, g.iterations);
    for (let i = 1; i < g.history.length; i++) assert.ok(g.history[i] >= g.history[i - 1] - 1e-12, `iteration ${i}: ${g.history[i]} after ${g.history[i - 1]}`);
    assert.equal(g.history[g.history.length - 1], g.lowerBound);
    assert.ok(g.logLikelihood >= g.lowerBound - 1e-12, 'the final parameters score at least the last E-step');
    // Five components on three clusters have several optima; run 0 of the five restarts is the single run.
    const single = gaussianMixture(data, 5, { seed: 4 });
    const several = gaussianMixture(data, 5, { seed: 4, restarts: 6 });
    assert.ok(several.lowerBound >= single.lowerBound, `${several.lowerBound} with restarts, ${single.lowerBound} without`);
    assert.deepEqual(gaussianMixture(data, 5, { seed: 4, restarts: 6 }).means, several.means, 'deterministic for a seed');
  });
});

describe('gaussianMixture on cases whose answer is known', () => {
  it('one component: the sample mean and the biased sample covariance plus the regularisation', () => {
    const rows = [[1, 2], [3, 1], [0, 0], [4, 5], [2, 2]];
    const g = gaussianMixture(embedding(rows), 1, { seed: 0 });
    const mean = [2, 2];
    // sum of (x - mean)(x - mean)^T over the five points: xx 10, xy 9, yy 14; divided by 5, not 4.
    allClose(g.means, mean, 1e-12, 'mean');
    allClose(g.covariances, [10 / 5 + 1e-6, 9 / 5, 9 / 5, 14 / 5 + 1e-6], 1e-12, 'covariance');
    allClose(g.weights, [1], 1e-12, 'weight');
    // A second iteration changes nothing, so the run converges there.
    assert.equal(g.iterations, 2);
    assert.ok(g.converged);
    const diag = gaussianMixture(embedding(rows), 1, { seed: 0, covariance: 'diag', regularization: 0.5 });
    allClose(diag.covariances, [2.5, 14 / 5 + 0.5], 1e-12, 'diagonal covariance');
  });

  it('the log density of a Gaussian, and of a mixture of two, against the formula', () => {
    const cov = [2, 0.6, 0.6, 1];
    const det = 2 * 1 - 0.6 * 0.6;
    const inv = [1 / det, -0.6 / det, -0.6 / det, 2 / det];
    const mu = [1, -1];
    const gauss = (x: number[], m: number[]) => {
      const a = x[0] - m[0];
      const b = x[1] - m[1];
      const q = a * (inv[0] * a + inv[1] * b) + b * (inv[2] * a + inv[3] * b);
      return Math.exp(-q / 2) / (2 * Math.PI * Math.sqrt(det));
    };
    const point = [0.25, 0.375]; // exact in float32, as embeddings hold it
    const one = new GaussianMixtureModel({ covariance: 'full', weights: [1], means: mu, covariances: cov });
    close(one.logDensity(embedding([point]))[0], Math.log(gauss(point, mu)), 1e-12, 'one Gaussian');
    const two = new GaussianMixtureModel({ covariance: 'full', weights: [0.3, 0.7], means: [...mu, 2, 2], covariances: [...cov, ...cov] });
    const p = 0.3 * gauss(point, mu) + 0.7 * gauss(point, [2, 2]);
    close(two.logDensity(embedding([point]))[0], Math.log(p), 1e-12, 'a mixture');
    const r = two.responsibilities(embedding([point]));
    allClose(r, [(0.3 * gauss(point, mu)) / p, (0.7 * gauss(point, [2, 2])) / p], 1e-12, 'responsibilities');
    // Far out, where exp underflows, log-sum-exp still gives a finite density and a clear winner.
    const far = embedding([[300, 300]]);
    assert.ok(Number.isFinite(two.logDensity(far)[0]));
    assert.deepEqual([...two.predict(far)], [1]);
    allClose(two.responsibilities(far), [0, 1], 1e-12, 'far responsibilities');
    // A diagonal model is the full one with a diagonal matrix.
    const d = new GaussianMixtureModel({ covariance: 'diag', weights: [1], means: mu, covariances: [2, 0.5] });
    const f = new GaussianMixtureModel({ covariance: 'full', weights: [1], means: mu, covariances: [2, 0, 0, 0.5] });
    close(d.logDensity(embedding([point]))[0], f.logDensity(embedding([point]))[0], 1e-12, 'diag against full');
    assert.equal(f.parameterCount, 5);
    assert.equal(two.parameterCount, 2 * 3 + 2 * 2 + 1);
  });

  it('recovers three well-separated Gaussians, full and diagonal', () => {
    const random = new Random(11);
    const means = [[0, 0], [10, 0], [0, 10]];
    // Component 0 is stretched and tilted; the others round with different spreads.
    const shapes = [[[2, 0], [1.2, 0.6]], [[0.7, 0], [0, 0.7]], [[1.2, 0], [0, 1.2]]];
    const truth: number[] = [];
    const rows: number[][] = [];
    for (let i = 0; i < 600; i++) {
      const c = i < 300 ? 0 : i < 450 ? 1 : 2;
      const [u, v] = [random.normal(), random.normal()];
      const [a, b] = shapes[c];
      rows.push([means[c][0] + a[0] * u + a[1] * v, means[c][1] + b[0] * u + b[1] * v]);
      truth.push(c);
    }
    const data = embedding(rows);
    for (const covariance of ['full', 'diag'] as const) {
      const g = gaussianMixture(data, 3, { seed: 5, covariance });
      assert.ok(g.converged, covariance);
      assert.equal(adjustedRandIndex(truth, g.labels), 1, `${covariance}: ARI`);
      for (let c = 0; c < 3; c++) {
        const found = g.labels[truth.indexOf(c)];
        const m = [g.means[found * 2], g.means[found * 2 + 1]];
        assert.ok(Math.hypot(m[0] - means[c][0], m[1] - means[c][1]) < 0.3, `${covariance}: mean ${c} found at ${m}`);
        close(g.weights[found], [0.5, 0.25, 0.25][c], 0.02, `${covariance}: weight ${c}`);
      }
      if (covariance === 'full') {
        // Component 0's covariance is A A^T = [[4, 2.4], [2.4, 1.8]].
        const c0 = g.labels[0];
        const cov = g.covariances.subarray(c0 * 4, c0 * 4 + 4);
        allClose(cov, [4, 2.4, 2.4, 1.8], 0.15, 'covariance of the tilted component');
      }
    }
    // Full covariances fit the tilted component better, so they win on BIC.
    assert.ok(gaussianMixture(data, 3, { seed: 5 }).bic(data) < gaussianMixture(data, 3, { seed: 5, covariance: 'diag' }).bic(data));
  });

  it('refuses bad input with errors that name it', () => {
    const data = embedding(X);
    assert.throws(() => gaussianMixture(embedding(X.slice(0, 2)), 3, { seed: 0 }), /components = 3 is more than the 2 points/);
    assert.throws(() => gaussianMixture(data, 0, { seed: 0 }), /components must be a positive integer, got 0/);
    assert.throws(() => gaussianMixture(data, 2, { seed: 0, covariance: 'tied' as 'full' }), /covariance must be "full" or "diag", got "tied"/);
    assert.throws(() => gaussianMixture(data, 3, { seed: 0, initialMeans: [1, 2] }), /initialMeans has 2 values, expected 3 x 3/);
    assert.throws(() => gaussianMixture(data, 3, { seed: 0, initialMeans, restarts: 2 }), /restarts must be 1, got 2/);
    assert.throws(() => gaussianMixture(data, 3, { seed: 0, tolerance: -1 }), /tolerance must be >= 0, got -1/);
    assert.throws(() => gaussianMixture(data, 3, { seed: 0.5 }), /seed must be an integer, got 0.5/);
    // Points on a line have a singular covariance: without regularisation the Cholesky factor fails.
    const line = embedding([[0, 0], [1, 1], [2, 2], [3, 3]]);
    assert.throws(() => gaussianMixture(line, 1, { seed: 0, regularization: 0 }), /covariance of component 0 is not positive definite/);
    assert.ok(Number.isFinite(gaussianMixture(line, 1, { seed: 0 }).logLikelihood), 'the default regularisation copes');
    const g = gaussianMixture(data, 3, { seed: 0 });
    assert.throws(() => g.predict(embedding([[1, 2]])), /points have 2 dimensions, the mixture 3/);
    assert.throws(() => new GaussianMixtureModel({ covariance: 'full', weights: [0.5, 0.6], means: [0, 0], covariances: [1, 1] }), /weights sum to 1.1/);
  });
});
