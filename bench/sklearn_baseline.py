"""scikit-learn peers for bench/automl.ts (bench only, never at run time).

usage: sklearn_baseline.py <dataset> <train.csv> <holdout-name>=<holdout.csv>...
CSV: header, numeric feature columns, last column the 0/1 target. Prints one JSON line per model and holdout.
"""
import json
import resource
import sys
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score


def load(path):
    data = np.genfromtxt(path, delimiter=",", skip_header=1)
    return data[:, :-1], data[:, -1].astype(int)


def main():
    dataset, train_path, *holdouts = sys.argv[1:]
    x, y = load(train_path)
    tests = [(h.split("=", 1)[0], load(h.split("=", 1)[1])) for h in holdouts]
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
                "train_seconds": round(seconds, 2),
                "peak_rss_mb": round(rss_mb),
            }), flush=True)


if __name__ == "__main__":
    main()
