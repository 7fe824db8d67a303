"""LightGBM peer of replearn's gradient-boosted trees (src/trees/gradient-boosting.ts).

Reads a task written by test/support/write-mixed-tabular.ts (DIR/train.f32, DIR/train-labels.u8,
DIR/test.f32, DIR/test-labels.u8, DIR/meta.json), trains `lgb.train` with the binary objective and
the given parameters (LightGBM's defaults otherwise), and prints one line `RESULT {json}` with the
seconds of Dataset construction plus training (data loading excluded), the test AUC and the
versions. Used by scripts/bench-trees.mjs and for the constants of test/trees/lightgbm-agreement.test.ts.

    python lightgbm_gbt.py DIR [--rounds 100] [--num-leaves 31] [--max-depth -1]
        [--learning-rate 0.1] [--min-data-in-leaf 20] [--min-sum-hessian-in-leaf 1e-3]
        [--lambda-l2 0] [--max-bin 255] [--threads 1] [--predictions FILE] [--show K]

--predictions writes the test probabilities as float64 to FILE; --show K adds the first K of them
to the printed JSON (as "first", at full precision).
"""
import argparse
import json
import time

import numpy as np


def load(data_dir):
    with open(f"{data_dir}/meta.json") as f:
        meta = json.load(f)
    cols = meta["cols"]
    x = np.fromfile(f"{data_dir}/train.f32", dtype=np.float32).reshape(-1, cols)
    y = np.fromfile(f"{data_dir}/train-labels.u8", dtype=np.uint8).astype(np.float64)
    xt = np.fromfile(f"{data_dir}/test.f32", dtype=np.float32).reshape(-1, cols)
    yt = np.fromfile(f"{data_dir}/test-labels.u8", dtype=np.uint8)
    return x, y, xt, yt


def auroc(scores, labels):
    """Area under the ROC curve (Mann-Whitney, ties counting one half), with scipy, which LightGBM needs anyway."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--num-leaves", type=int, default=31)
    parser.add_argument("--max-depth", type=int, default=-1)
    parser.add_argument("--learning-rate", type=float, default=0.1)
    parser.add_argument("--min-data-in-leaf", type=int, default=20)
    parser.add_argument("--min-sum-hessian-in-leaf", type=float, default=1e-3)
    parser.add_argument("--lambda-l2", type=float, default=0.0)
    parser.add_argument("--max-bin", type=int, default=255)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--predictions")
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args()

    import lightgbm as lgb

    x, y, xt, yt = load(args.data_dir)
    params = {
        "objective": "binary",
        "num_leaves": args.num_leaves,
        "max_depth": args.max_depth,
        "learning_rate": args.learning_rate,
        "min_data_in_leaf": args.min_data_in_leaf,
        "min_sum_hessian_in_leaf": args.min_sum_hessian_in_leaf,
        "lambda_l2": args.lambda_l2,
        "max_bin": args.max_bin,
        "num_threads": args.threads,
        "deterministic": True,
        "force_col_wise": True,
        "seed": 0,
        "verbose": -1,
    }
    t = time.perf_counter()
    booster = lgb.train(params, lgb.Dataset(x, label=y, params={"max_bin": args.max_bin, "verbose": -1}), num_boost_round=args.rounds)
    seconds = time.perf_counter() - t
    p = booster.predict(xt)
    if args.predictions:
        p.astype(np.float64).tofile(args.predictions)
    out = {
        "seconds": seconds,
        "auc": auroc(p, yt),
        "trees": booster.num_trees(),
        "lightgbm": lgb.__version__,
        "params": params,
    }
    if args.show > 0:
        out["first"] = [float(v) for v in p[: args.show]]
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
