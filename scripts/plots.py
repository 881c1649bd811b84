"""Plots for a results directory: per dataset/model, test accuracy per epoch
(mean over seeds, band = min..max) for each method, and the top-k Hessian
eigenvalues of the final models (mean, error bar = sample std over seeds)."""
import collections
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

root = sys.argv[1]
runs = collections.defaultdict(lambda: collections.defaultdict(list))
for d, _, files in os.walk(root):
    for f in sorted(files):
        if not f.endswith(".json") or f.startswith("protocol-") or f in ("leaderboard.json", "check.json"):
            continue
        r = json.load(open(os.path.join(d, f)))
        if r.get("status") != "ok":
            continue
        label = r.get("matrix", {}).get("label", r["variant"])
        runs[(r["config"]["dataset"], r["config"]["model"])][label].append(r)

out = os.path.join(root, "plots")
os.makedirs(out, exist_ok=True)
for (dataset, model), methods in sorted(runs.items()):
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (label, rs) in enumerate(sorted(methods.items())):
        epochs = [h["epoch"] for h in rs[0]["history"]]
        accs = [[h["test_acc"] for h in r["history"]] for r in rs]
        mean = [sum(c) / len(c) for c in zip(*accs)]
        a1.plot(epochs, mean, marker="o", label=f"{label} (n={len(rs)})")
        a1.fill_between(epochs, [min(c) for c in zip(*accs)], [max(c) for c in zip(*accs)], alpha=0.2)
        eig = [r["hessian"]["eigenvalues"] for r in rs if "hessian" in r]
        if eig:
            k = min(len(e) for e in eig)
            m = [sum(e[j] for e in eig) / len(eig) for j in range(k)]
            sd = [(sum((e[j] - m[j]) ** 2 for e in eig) / max(len(eig) - 1, 1)) ** 0.5 for j in range(k)]
            w = 0.8 / len(methods)
            a2.bar([j + i * w for j in range(k)], m, w, yerr=sd, capsize=2, label=label)
    a1.set(xlabel="epoch", ylabel="test accuracy", title=f"{dataset} / {model}")
    a1.legend(fontsize=8)
    a2.set(xlabel="eigenvalue index (1 = lambda_max)", ylabel="Hessian eigenvalue", title="top Hessian eigenvalues, final model")
    a2.set_xticks([j + 0.4 - 0.4 / len(methods) for j in range(k)], [str(j + 1) for j in range(k)])
    a2.legend(fontsize=8)
    fig.tight_layout()
    path = os.path.join(out, f"{dataset}_{model}.png")
    fig.savefig(path, dpi=110)
    print(path)
