// The histogram tree learner of gradient boosting, after LightGBM's serial learner: gradient and
// hessian histograms per leaf over byte bins, the smaller child's histogram built from its rows and
// the larger one's taken as parent minus smaller, the rows of each leaf kept as a contiguous range
// of one index array that every split partitions in place (stably, so rows stay in increasing
// order and the bins are read forward). Nothing is allocated per row or per split.
import type { RegressionTree } from './regression-tree';

/** How a tree grows: `leaf-wise` splits the leaf of largest gain first (LightGBM); `depth-wise` finishes each level, largest gain first within it. */
export type TreeGrowth = 'leaf-wise' | 'depth-wise';

/** The settings of one tree, already checked by the booster. */
export interface TreeSettings {
  numLeaves: number;
  /** -1: no limit. */
  maxDepth: number;
  growth: TreeGrowth;
  minDataInLeaf: number;
  minSumHessianInLeaf: number;
  lambdaL2: number;
  learningRate: number;
  histogramSubtraction: boolean;
}

/** Three doubles per bin: gradient sum, hessian sum, row count. */
const stride = 3;

/**
 * Grows regression trees on fixed column-major bins: `grow` fits one tree to gradients and
 * hessians, `addToScores` adds its leaf values to the scores of the rows it was grown on.
 */
export class HistogramTreeLearner {
  private readonly numBins: Int32Array;
  /** Where each feature's bins start in a histogram, in doubles. */
  private readonly histOffset: Int32Array;
  private readonly histSize: number;
  private readonly slots: Float64Array[] = [];
  private readonly freeSlots: Int32Array;
  private freeCount = 0;

  private readonly indices: Int32Array;
  private readonly scratch: Int32Array;
  private readonly orderedGrad: Float64Array;
  private readonly orderedHess: Float64Array;
  /**
   * The bins again, row-major, as each bin's index in a whole histogram, for the features of two
   * bins or more: `rowBins[r * rowStride + k]`. Reading a row's bins together and adding its gradient
   * to every feature's histogram takes about half the time of one pass per column.
   */
  private readonly rowBins: Uint16Array | Uint32Array;
  private readonly rowStride: number;
  private rowWise = true;

  private readonly leafBegin: Int32Array;
  private readonly leafCount: Int32Array;
  private readonly leafDepth: Int32Array;
  private readonly leafParent: Int32Array;
  private readonly leafSlot: Int32Array;
  private readonly leafGrad: Float64Array;
  private readonly leafHess: Float64Array;

  private readonly bestGain: Float64Array;
  private readonly bestFeature: Int32Array;
  private readonly bestBin: Int32Array;
  private readonly bestLeftGrad: Float64Array;
  private readonly bestLeftHess: Float64Array;
  private readonly bestRightGrad: Float64Array;
  private readonly bestRightHess: Float64Array;

  private readonly nodeFeature: Int32Array;
  private readonly nodeBin: Int32Array;
  private readonly nodeLeft: Int32Array;
  private readonly nodeRight: Int32Array;
  private readonly nodeGain: Float64Array;

  private leaves = 0;
  private grad: Float64Array = new Float64Array(0);
  private hess: Float64Array = new Float64Array(0);
  private featureUsed: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly bins: readonly Uint8Array[],
    private readonly upperBounds: readonly Float64Array[],
    private readonly rows: number,
    private readonly settings: TreeSettings,
  ) {
    const cols = bins.length;
    this.numBins = Int32Array.from(upperBounds, (b) => b.length);
    this.histOffset = new Int32Array(cols);
    let total = 0;
    for (let f = 0; f < cols; f++) {
      this.histOffset[f] = total;
      total += stride * this.numBins[f];
    }
    this.histSize = total;
    const splittable: number[] = [];
    for (let f = 0; f < cols; f++) if (this.numBins[f] >= 2) splittable.push(f);
    this.rowStride = splittable.length;
    this.rowBins = total / stride <= 65536 ? new Uint16Array(rows * splittable.length) : new Uint32Array(rows * splittable.length);
    splittable.forEach((f, k) => {
      const col = bins[f];
      const first = this.histOffset[f] / stride;
      for (let r = 0; r < rows; r++) this.rowBins[r * splittable.length + k] = first + col[r];
    });
    const L = settings.numLeaves;
    this.freeSlots = new Int32Array(L);
    this.indices = new Int32Array(rows);
    this.scratch = new Int32Array(rows);
    this.orderedGrad = new Float64Array(rows);
    this.orderedHess = new Float64Array(rows);
    this.leafBegin = new Int32Array(L);
    this.leafCount = new Int32Array(L);
    this.leafDepth = new Int32Array(L);
    this.leafParent = new Int32Array(L);
    this.leafSlot = new Int32Array(L);
    this.leafGrad = new Float64Array(L);
    this.leafHess = new Float64Array(L);
    this.bestGain = new Float64Array(L);
    this.bestFeature = new Int32Array(L);
    this.bestBin = new Int32Array(L);
    this.bestLeftGrad = new Float64Array(L);
    this.bestLeftHess = new Float64Array(L);
    this.bestRightGrad = new Float64Array(L);
    this.bestRightHess = new Float64Array(L);
    this.nodeFeature = new Int32Array(L - 1);
    this.nodeBin = new Int32Array(L - 1);
    this.nodeLeft = new Int32Array(L - 1);
    this.nodeRight = new Int32Array(L - 1);
    this.nodeGain = new Float64Array(L - 1);
  }

  /**
   * Fits one tree to `grad` and `hess` (one per training row) over the rows `bag[0..bagCount)`
   * (increasing), or every row when `bag` is null, splitting only on features with `featureUsed[f]`.
   */
  grow(grad: Float64Array, hess: Float64Array, bag: Int32Array | null, bagCount: number, featureUsed: Uint8Array): RegressionTree {
    this.grad = grad;
    this.hess = hess;
    this.featureUsed = featureUsed;
    // Row by row pays for the features left out; by column pays twice per feature: the cheaper one.
    let used = 0;
    for (let f = 0; f < featureUsed.length; f++) if (featureUsed[f] !== 0 && this.numBins[f] >= 2) used++;
    this.rowWise = 2 * used >= this.rowStride;
    const { indices, settings } = this;
    const n = bag === null ? this.rows : bagCount;
    if (bag === null) for (let i = 0; i < n; i++) indices[i] = i;
    else indices.set(bag.subarray(0, n));
    let sumGrad = 0;
    let sumHess = 0;
    for (let i = 0; i < n; i++) {
      const r = indices[i];
      sumGrad += grad[r];
      sumHess += hess[r];
    }
    this.freeCount = 0;
    for (let s = settings.numLeaves - 1; s >= 1; s--) this.freeSlots[this.freeCount++] = s;
    this.leaves = 1;
    this.leafBegin[0] = 0;
    this.leafCount[0] = n;
    this.leafDepth[0] = 0;
    this.leafParent[0] = -1;
    this.leafSlot[0] = 0;
    this.leafGrad[0] = sumGrad;
    this.leafHess[0] = sumHess;
    this.bestGain[0] = -Infinity;
    if (settings.numLeaves > 1 && this.canSplit(0)) {
      this.buildHistogram(0, 0);
      this.findBestSplit(0);
    }
    while (this.leaves < settings.numLeaves) {
      const leaf = this.pickLeaf();
      if (leaf < 0) break;
      this.split(leaf);
    }
    return this.finishTree();
  }

  /** Adds each leaf's value of `tree` (the last grown) to `score` of the rows that fell in it. */
  addToScores(score: Float64Array, tree: RegressionTree): void {
    const { indices, leafBegin, leafCount } = this;
    for (let leaf = 0; leaf < tree.numLeaves; leaf++) {
      const v = tree.leafValue[leaf];
      const end = leafBegin[leaf] + leafCount[leaf];
      for (let i = leafBegin[leaf]; i < end; i++) score[indices[i]] += v;
    }
  }

  private canSplit(leaf: number): boolean {
    const { minDataInLeaf, minSumHessianInLeaf, maxDepth } = this.settings;
    return this.leafCount[leaf] >= Math.max(2, 2 * minDataInLeaf) && this.leafHess[leaf] >= 2 * minSumHessianInLeaf && (maxDepth < 0 || this.leafDepth[leaf] < maxDepth);
  }

  private pickLeaf(): number {
    const { bestGain, leafDepth } = this;
    const depthWise = this.settings.growth === 'depth-wise';
    let best = -1;
    for (let leaf = 0; leaf < this.leaves; leaf++) {
      const g = bestGain[leaf];
      if (!(g > 0)) continue;
      if (best < 0) best = leaf;
      else if (depthWise && leafDepth[leaf] !== leafDepth[best]) {
        if (leafDepth[leaf] < leafDepth[best]) best = leaf;
      } else if (g > bestGain[best]) best = leaf;
    }
    return best;
  }

  private slot(index: number): Float64Array {
    let hist = this.slots[index];
    if (hist === undefined) {
      hist = new Float64Array(this.histSize);
      this.slots[index] = hist;
    }
    return hist;
  }

  /** Fills histogram slot `slotIndex` from the rows of `leaf`. */
  private buildHistogram(leaf: number, slotIndex: number): void {
    if (this.rowWise) this.buildHistogramByRow(leaf, this.slot(slotIndex));
    else this.buildHistogramByColumn(leaf, this.slot(slotIndex));
  }

  private buildHistogramByRow(leaf: number, hist: Float64Array): void {
    const { indices, grad, hess, rowBins, rowStride } = this;
    const begin = this.leafBegin[leaf];
    const end = begin + this.leafCount[leaf];
    hist.fill(0);
    for (let i = begin; i < end; i++) {
      const r = indices[i];
      const g = grad[r];
      const h = hess[r];
      const first = r * rowStride;
      const last = first + rowStride;
      for (let k = first; k < last; k++) {
        const b = stride * rowBins[k];
        hist[b] += g;
        hist[b + 1] += h;
        hist[b + 2] += 1;
      }
    }
  }

  private buildHistogramByColumn(leaf: number, hist: Float64Array): void {
    const { indices, orderedGrad, orderedHess, grad, hess, bins, numBins, histOffset, featureUsed } = this;
    const begin = this.leafBegin[leaf];
    const count = this.leafCount[leaf];
    // Gathering the leaf's gradients once makes the per-feature loops read them in order.
    for (let i = 0; i < count; i++) {
      const r = indices[begin + i];
      orderedGrad[i] = grad[r];
      orderedHess[i] = hess[r];
    }
    for (let f = 0; f < bins.length; f++) {
      if (featureUsed[f] === 0 || numBins[f] < 2) continue;
      const o = histOffset[f];
      hist.fill(0, o, o + stride * numBins[f]);
      const col = bins[f];
      for (let i = 0; i < count; i++) {
        const b = o + stride * col[indices[begin + i]];
        hist[b] += orderedGrad[i];
        hist[b + 1] += orderedHess[i];
        hist[b + 2] += 1;
      }
    }
  }

  /**
   * Histogram slot `into` minus slot `from`, in place, over the features in use. `from` is the
   * smaller child's, often mostly empty bins: those are skipped whole.
   */
  private subtractHistogram(into: number, from: number): void {
    const a = this.slot(into);
    const b = this.slot(from);
    const { numBins, histOffset, featureUsed } = this;
    for (let f = 0; f < numBins.length; f++) {
      if (featureUsed[f] === 0 || numBins[f] < 2) continue;
      const end = histOffset[f] + stride * numBins[f];
      for (let k = histOffset[f]; k < end; k += stride) {
        if (b[k + 2] === 0) continue;
        a[k] -= b[k];
        a[k + 1] -= b[k + 1];
        a[k + 2] -= b[k + 2];
      }
    }
  }

  /**
   * The best split of `leaf` from its histogram. Each feature is scanned from its top bin down and
   * a split must beat every higher threshold strictly, so among thresholds of equal gain (empty bins
   * between two groups of rows) the highest wins and among features the first: LightGBM's choices.
   */
  private findBestSplit(leaf: number): void {
    const hist = this.slots[this.leafSlot[leaf]];
    const { numBins, histOffset, featureUsed } = this;
    const { minDataInLeaf, minSumHessianInLeaf, lambdaL2 } = this.settings;
    const sumGrad = this.leafGrad[leaf];
    const sumHess = this.leafHess[leaf];
    const count = this.leafCount[leaf];
    const parentScore = (sumGrad * sumGrad) / (sumHess + lambdaL2);
    let best = parentScore;
    let bestFeature = -1;
    let bestBin = 0;
    let bestLeftGrad = 0;
    let bestLeftHess = 0;
    let bestRightGrad = 0;
    let bestRightHess = 0;
    for (let f = 0; f < numBins.length; f++) {
      if (featureUsed[f] === 0 || numBins[f] < 2) continue;
      const o = histOffset[f];
      let rightGrad = 0;
      let rightHess = 0;
      let rightCount = 0;
      for (let t = numBins[f] - 1; t >= 1; t--) {
        const b = o + stride * t;
        const c = hist[b + 2];
        // An empty bin changes no sum, so its threshold ties the one above it and cannot win.
        if (c === 0) continue;
        rightGrad += hist[b];
        rightHess += hist[b + 1];
        rightCount += c;
        if (rightCount < minDataInLeaf || rightHess < minSumHessianInLeaf) continue;
        const leftCount = count - rightCount;
        if (leftCount < minDataInLeaf) break;
        const leftHess = sumHess - rightHess;
        if (leftHess < minSumHessianInLeaf) break;
        const leftGrad = sumGrad - rightGrad;
        const leftDen = leftHess + lambdaL2;
        const rightDen = rightHess + lambdaL2;
        // score > best, multiplied through by the (non-negative) denominators: the divisions are
        // paid only for a new best.
        if (leftGrad * leftGrad * rightDen + rightGrad * rightGrad * leftDen > best * (leftDen * rightDen)) {
          best = (leftGrad * leftGrad) / leftDen + (rightGrad * rightGrad) / rightDen;
          bestFeature = f;
          bestBin = t - 1;
          bestLeftGrad = leftGrad;
          bestLeftHess = leftHess;
          bestRightGrad = rightGrad;
          bestRightHess = rightHess;
        }
      }
    }
    if (bestFeature < 0) {
      this.bestGain[leaf] = -Infinity;
      return;
    }
    this.bestGain[leaf] = 0.5 * (best - parentScore);
    this.bestFeature[leaf] = bestFeature;
    this.bestBin[leaf] = bestBin;
    this.bestLeftGrad[leaf] = bestLeftGrad;
    this.bestLeftHess[leaf] = bestLeftHess;
    this.bestRightGrad[leaf] = bestRightGrad;
    this.bestRightHess[leaf] = bestRightHess;
  }

  /** Splits `leaf` by its best split: the left child keeps its index, the right child is a new leaf. */
  private split(leaf: number): void {
    const { leafBegin, leafCount, leafDepth, leafParent, leafSlot, leafGrad, leafHess, settings } = this;
    const feature = this.bestFeature[leaf];
    const bin = this.bestBin[leaf];
    const begin = leafBegin[leaf];
    const count = leafCount[leaf];
    const leftCount = this.partition(begin, count, feature, bin);
    const right = this.leaves;
    const node = right - 1;
    this.nodeFeature[node] = feature;
    this.nodeBin[node] = bin;
    this.nodeGain[node] = this.bestGain[leaf];
    const parent = leafParent[leaf];
    if (parent >= 0) {
      if (this.nodeLeft[parent] === ~leaf) this.nodeLeft[parent] = node;
      else this.nodeRight[parent] = node;
    }
    this.nodeLeft[node] = ~leaf;
    this.nodeRight[node] = ~right;
    leafParent[leaf] = node;
    leafParent[right] = node;
    const depth = leafDepth[leaf] + 1;
    leafDepth[leaf] = depth;
    leafDepth[right] = depth;
    leafBegin[right] = begin + leftCount;
    leafCount[right] = count - leftCount;
    leafCount[leaf] = leftCount;
    leafGrad[leaf] = this.bestLeftGrad[leaf];
    leafHess[leaf] = this.bestLeftHess[leaf];
    leafGrad[right] = this.bestRightGrad[leaf];
    leafHess[right] = this.bestRightHess[leaf];
    this.leaves++;
    this.bestGain[leaf] = -Infinity;
    this.bestGain[right] = -Infinity;

    // The children are split later only while leaves remain; their histograms are needed only then.
    const more = this.leaves < settings.numLeaves;
    const splitLeft = more && this.canSplit(leaf);
    const splitRight = more && this.canSplit(right);
    if (!splitLeft && !splitRight) return;
    const parentSlot = leafSlot[leaf];
    if (settings.histogramSubtraction) {
      const smaller = leftCount < count - leftCount ? leaf : right;
      const larger = smaller === leaf ? right : leaf;
      const fresh = this.freeSlots[--this.freeCount];
      this.buildHistogram(smaller, fresh);
      leafSlot[smaller] = fresh;
      leafSlot[larger] = parentSlot;
      if (smaller === leaf ? splitRight : splitLeft) this.subtractHistogram(parentSlot, fresh);
    } else {
      if (splitLeft) this.buildHistogram(leaf, parentSlot);
      if (splitRight) {
        const fresh = this.freeSlots[--this.freeCount];
        this.buildHistogram(right, fresh);
        leafSlot[right] = fresh;
      }
    }
    if (splitLeft) this.findBestSplit(leaf);
    if (splitRight) this.findBestSplit(right);
  }

  /** Stable in-place partition of rows `begin..begin+count` by `bins[feature] <= bin`; returns the left count. */
  private partition(begin: number, count: number, feature: number, bin: number): number {
    const { indices, scratch } = this;
    const col = this.bins[feature];
    const end = begin + count;
    let left = begin;
    let rightCount = 0;
    // Branch-free: the side is unpredictable, so each row is written to both places and only the
    // matching cursor moves.
    for (let i = begin; i < end; i++) {
      const r = indices[i];
      const goLeft = 1 - ((bin - col[r]) >>> 31);
      indices[left] = r;
      scratch[rightCount] = r;
      left += goLeft;
      rightCount += 1 - goLeft;
    }
    indices.set(scratch.subarray(0, rightCount), left);
    return left - begin;
  }

  private finishTree(): RegressionTree {
    const leaves = this.leaves;
    const nodes = leaves - 1;
    const { lambdaL2, learningRate } = this.settings;
    const splitFeature = this.nodeFeature.slice(0, nodes);
    const thresholdBin = this.nodeBin.slice(0, nodes);
    const threshold = new Float64Array(nodes);
    for (let k = 0; k < nodes; k++) threshold[k] = this.upperBounds[splitFeature[k]][thresholdBin[k]];
    const leafValue = new Float64Array(leaves);
    for (let leaf = 0; leaf < leaves; leaf++) {
      const denominator = this.leafHess[leaf] + lambdaL2;
      // A leaf of zero hessian (all its rows weighted 0, lambdaL2 0) stays at its parent's score.
      leafValue[leaf] = denominator > 0 ? (-learningRate * this.leafGrad[leaf]) / denominator : 0;
    }
    return {
      numLeaves: leaves,
      splitFeature,
      threshold,
      thresholdBin,
      leftChild: this.nodeLeft.slice(0, nodes),
      rightChild: this.nodeRight.slice(0, nodes),
      splitGain: this.nodeGain.slice(0, nodes),
      leafValue,
      leafCount: this.leafCount.slice(0, leaves),
      leafHessian: this.leafHess.slice(0, leaves),
      leafDepth: this.leafDepth.slice(0, leaves),
    };
  }
}
