// One fitted regression tree in LightGBM's flat layout: internal nodes in typed arrays, children
// as node indices (>= 0) or bitwise-complemented leaf indices (< 0), so that walking a row down
// the tree allocates nothing.

/**
 * A regression tree of a boosted model, flat: internal node `k` sends a row left when its value of
 * feature `splitFeature[k]` is `<= threshold[k]` (equivalently its bin is `<= thresholdBin[k]`);
 * a child `c >= 0` is internal node `c`, a child `c < 0` is leaf `~c`. Node 0 is the root; a tree
 * with one leaf has no internal nodes. Leaf values already include the learning rate.
 * Shape: `{ numLeaves, splitFeature, threshold, thresholdBin, leftChild, rightChild, splitGain
 * (numLeaves - 1 each), leafValue, leafCount, leafHessian, leafDepth (numLeaves each) }`.
 */
export interface RegressionTree {
  readonly numLeaves: number;
  readonly splitFeature: Int32Array;
  /** Raw-value threshold: the upper bound of bin `thresholdBin` of the training bins. */
  readonly threshold: Float64Array;
  readonly thresholdBin: Int32Array;
  readonly leftChild: Int32Array;
  readonly rightChild: Int32Array;
  /** The split's gain, 1/2 [G_L^2/(H_L+lambda) + G_R^2/(H_R+lambda) - G^2/(H+lambda)] (LightGBM reports twice this). */
  readonly splitGain: Float64Array;
  /** Each leaf's output, -learningRate * G / (H + lambdaL2). */
  readonly leafValue: Float64Array;
  /** Training rows (of the round's bag) in each leaf. */
  readonly leafCount: Int32Array;
  /** Sum of the hessians of each leaf's training rows. */
  readonly leafHessian: Float64Array;
  /** Depth of each leaf (the root's children have depth 1). */
  readonly leafDepth: Int32Array;
}

/** The leaf that row `row` of the row-major values `x` (`cols` per row) falls in. */
export function leafOfRow(tree: RegressionTree, x: ArrayLike<number>, row: number, cols: number): number {
  if (tree.numLeaves === 1) return 0;
  const { splitFeature, threshold, leftChild, rightChild } = tree;
  const base = row * cols;
  let node = 0;
  while (node >= 0) node = x[base + splitFeature[node]] <= threshold[node] ? leftChild[node] : rightChild[node];
  return ~node;
}

/** The leaf that row `row` of column-major training bins falls in. */
export function leafOfBinnedRow(tree: RegressionTree, bins: readonly Uint8Array[], row: number): number {
  if (tree.numLeaves === 1) return 0;
  const { splitFeature, thresholdBin, leftChild, rightChild } = tree;
  let node = 0;
  while (node >= 0) node = bins[splitFeature[node]][row] <= thresholdBin[node] ? leftChild[node] : rightChild[node];
  return ~node;
}
