// replearn's gradient-boosted trees against LightGBM 4.7.0 (lgb.train, objective 'binary', one
// thread), with the same settings on the same seeded data. The LightGBM numbers below were made by
// writing the data with the tests' own generator and training LightGBM on it
// (bench/peers/lightgbm_gbt.py; Python with lightgbm 4.7.0 and numpy):
//
//   node --import tsx test/support/write-mixed-tabular.ts build/lgb-mixed --rows 2000 --test-rows 10000 --cols 10 --seed 1
//   python bench/peers/lightgbm_gbt.py build/lgb-mixed --rounds 100
//   node --import tsx test/support/write-mixed-tabular.ts build/lgb-discrete --discrete --rows 2000 --test-rows 1000 --cols 8 --seed 1
//   python bench/peers/lightgbm_gbt.py build/lgb-discrete --rounds 8 --show 8
//   python bench/peers/lightgbm_gbt.py build/lgb-discrete --rounds 8 --show 8 --max-depth 3 --num-leaves 8 --lambda-l2 2 --learning-rate 0.3
//
// LightGBM's defaults otherwise: num_leaves 31, max_depth -1, learning_rate 0.1, min_data_in_leaf
// 20, min_sum_hessian_in_leaf 1e-3, lambda_l2 0, max_bin 255, boost_from_average.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { auroc } from '../../src/evaluation/classification-metrics';
import { GradientBoostedTrees } from '../../src/trees/gradient-boosting';
import type { LabelledTabularData } from '../../src/trees/tabular';
import { discreteTabular, mixedTabular } from '../support/mixed-tabular';
import type { MixedTabular } from '../support/mixed-tabular';

/** The first `rows` rows of a task for training, the rest for testing, as write-mixed-tabular.ts splits them. */
function split(task: MixedTabular, rows: number): { train: LabelledTabularData; test: LabelledTabularData } {
  const part = (from: number, to: number): LabelledTabularData => ({ x: task.x.slice(from * task.cols, to * task.cols), labels: task.labels.slice(from, to), rows: to - from, cols: task.cols });
  return { train: part(0, rows), test: part(rows, task.rows) };
}

/** LightGBM 4.7.0's test AUC on the mixed task (2,000 x 10 training rows, 10,000 test rows, 100 rounds). */
const lightgbmMixedAuc = 0.8371473320217687;
/** LightGBM 4.7.0's test probabilities of the first 8 test rows and its test AUC on the discrete task after 8 rounds. */
const lightgbmDiscreteFirst = [0.47851125410281253, 0.3395810331488432, 0.4659660128891833, 0.6970117645920695, 0.4187386563593237, 0.3678170583693922, 0.38592134693682206, 0.44360518352356965];
const lightgbmDiscreteAuc = 0.7651899772355382;
/** The same with max_depth 3, num_leaves 8, lambda_l2 2 and learning_rate 0.3. */
const lightgbmShallowFirst = [0.3714327365866037, 0.311756643305475, 0.37216808821565894, 0.7856297759554332, 0.34175182982628216, 0.3714327365866037, 0.4010850911888769, 0.34566394027272873];
const lightgbmShallowAuc = 0.7913631071690052;

describe('GradientBoostedTrees against LightGBM 4.7.0', () => {
  it('reaches LightGBM\'s test AUC within 0.005 on 2,000 x 10 mixed rows (100 rounds, LightGBM defaults)', () => {
    const { train, test } = split(mixedTabular(12000, 10, 1), 2000);
    const model = GradientBoostedTrees.fit(train, { rounds: 100 });
    const auc = auroc(model.predictProba(test), test.labels);
    assert.ok(Math.abs(auc - lightgbmMixedAuc) <= 0.005, `AUC ${auc.toFixed(4)} against LightGBM's ${lightgbmMixedAuc.toFixed(4)}`);
  });

  it('grows LightGBM\'s very trees when the bins coincide: small-integer columns, 8 rounds, probabilities within 1e-6, also shallow and L2-penalised', () => {
    // One bin per integer in both libraries, so only arithmetic can differ (LightGBM keeps gradients
    // in float32). After about ten rounds the trees part: LightGBM checks min_data_in_leaf on a count
    // estimated from the hessians, replearn on the rows themselves.
    const { train, test } = split(discreteTabular(3000, 8, 1), 2000);
    const cases = [
      { options: {}, first: lightgbmDiscreteFirst, auc: lightgbmDiscreteAuc },
      { options: { maxDepth: 3, numLeaves: 8, lambdaL2: 2, learningRate: 0.3 }, first: lightgbmShallowFirst, auc: lightgbmShallowAuc },
    ];
    for (const { options, first, auc } of cases) {
      const p = GradientBoostedTrees.fit(train, { rounds: 8, ...options }).predictProba(test);
      first.forEach((q, i) => assert.ok(Math.abs(p[i] - q) < 1e-6, `${JSON.stringify(options)}, test row ${i}: ${p[i]} against LightGBM's ${q}`));
      assert.ok(Math.abs(auroc(p, test.labels) - auc) < 1e-6);
    }
  });
});
