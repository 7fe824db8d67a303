"""scikit-learn peer of `npm run bench`'s latent part (scripts/bench-latent.mjs).

Reads the same float32 data files the Node side wrote, runs one task, and prints one line
`RESULT {json}` with the wall time of the fit (data loading excluded) and what the task measures.

    python sklearn_latent.py TASK DATA_DIR      TASK: pca | tsne | kmeans | knn

Threads come from the environment (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS), set by the caller.
"""
import json
import sys
import time

import numpy as np


def load(data_dir, name, cols):
    x = np.fromfile(f"{data_dir}/{name}.f32", dtype=np.float32)
    return x.reshape(-1, cols)


def main():
    task, data_dir = sys.argv[1], sys.argv[2]
    import sklearn

    out = {"sklearn": sklearn.__version__}
    if task == "pca":
        from sklearn.decomposition import PCA

        x = load(data_dir, "mnist10k", 784)
        t = time.perf_counter()
        pca = PCA(n_components=50, random_state=0).fit(x)
        out["seconds"] = time.perf_counter() - t
        out["explained"] = float(pca.explained_variance_ratio_.sum())
        out["solver"] = pca._fit_svd_solver
    elif task == "tsne":
        from sklearn.manifold import TSNE, trustworthiness

        x = load(data_dir, "mnist5k", 784)
        t = time.perf_counter()
        tsne = TSNE(n_components=2, perplexity=30, init="pca", learning_rate="auto", random_state=0, max_iter=1000)
        y = tsne.fit_transform(x)
        out["seconds"] = time.perf_counter() - t
        out["kl"] = float(tsne.kl_divergence_)
        out["trustworthiness"] = float(trustworthiness(x, y, n_neighbors=5))
    elif task == "kmeans":
        from sklearn.cluster import KMeans

        x = load(data_dir, "pca32", 32)
        t = time.perf_counter()
        km = KMeans(n_clusters=10, n_init=10, random_state=0).fit(x)
        out["seconds"] = time.perf_counter() - t
        out["inertia"] = float(km.inertia_)
    elif task == "knn":
        from sklearn.neighbors import NearestNeighbors

        x = load(data_dir, "mnist5k", 784)
        t = time.perf_counter()
        NearestNeighbors(n_neighbors=15, algorithm="brute").fit(x).kneighbors(x)
        out["seconds"] = time.perf_counter() - t
    else:
        raise SystemExit(f"unknown task {task}")
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
