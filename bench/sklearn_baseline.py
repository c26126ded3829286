"""scikit-learn peers for bench/automl.ts (bench only, never at run time).

usage: sklearn_baseline.py <dataset> <target> <train.csv>[,<more-train.csv>...] <holdout-name>=<holdout.csv>...
CSV: header, numeric columns, one of them the 0/1 target. Train files are concatenated in order (time order).
Prints one JSON line per model and holdout (F1 at 0.5, accuracy, ROC AUC, Brier score of the probabilities). Loading is not timed; fitting is.
"""
import json
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, roc_auc_score


def load(path, target):
    with open(path) as f:
        header = f.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    t = header.index(target)
    return np.delete(data, t, axis=1), data[:, t].astype(int)


def main():
    dataset, target, train_paths, *holdouts = sys.argv[1:]
    parts = [load(p, target) for p in train_paths.split(",")]
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    tests = [(h.split("=", 1)[0], load(h.split("=", 1)[1], target)) for h in holdouts]
    for name, model in [
        ("sklearn-HistGradientBoosting", HistGradientBoostingClassifier()),
        ("sklearn-LogisticRegression", LogisticRegression(max_iter=1000)),
    ]:
        start = time.perf_counter()
        model.fit(x, y)
        seconds = time.perf_counter() - start
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for holdout, (hx, hy) in tests:
            probability = model.predict_proba(hx)[:, 1]
            predicted = (probability >= 0.5).astype(int)
            print(json.dumps({
                "dataset": f"{dataset}/{holdout}",
                "engine": name,
                "f1": round(float(f1_score(hy, predicted)), 4),
                "accuracy": round(float(accuracy_score(hy, predicted)), 4),
                "auc": round(float(roc_auc_score(hy, probability)), 4),
                "brier": round(float(brier_score_loss(hy, probability)), 4),
                "train_seconds": round(seconds, 2),
                "peak_rss_mb": round(rss_mb),
            }), flush=True)


if __name__ == "__main__":
    main()
