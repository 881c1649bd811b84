#!/usr/bin/env python3
"""What a Hessian-vector product costs in PyTorch eager, by route, against a
gradient on the same model and samples; and PyHessian 0.1's HVP on the same
model. The independent side of scripts/hvp-compare (docs/performance.md),
beside nrsbench's bench/bench_hessian. Optional tooling: nothing in the
product path runs Python.

Models are twins of nrsbench's: small-cnn (models/small.cpp) and
wrn-16-8-mini (models/wide_resnet.cpp with the registry's -mini: one block
per stage, widths / 8); their parameter counts are checked against
nrsbench's (545,194 and 75,460 at 3x32x32, 10 classes). As in
bench_hessian: one 256-image batch of N(0, 1) inputs, BatchNorm in eval mode
(the Hessian module's default), float32.

Routes, each the median over --reps timings of one call:
  gradient        forward + backward
  rev_rev_cached  second backward through a kept first-order graph (what
                  nrsbench's graph cache and PyHessian's single-batch mode do)
  rev_rev         forward + create_graph backward + second backward
  fwd_rev         forward-over-reverse: torch.func.jvp of torch.func.grad
  vmap4           four vectors in one vmap'd vjp of the gradient, per vector
  pyhessian       PyHessian's eigenvalues(maxIter=K, tol=0), per HVP

usage: hvp_routes.py --out FILE [--threads 1] [--reps 3] [--k 5]
(PyHessian on PYTHONPATH; scripts/hvp-compare installs it apart from the venv)
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, jvp, vjp, vmap

from gpu.torch_eager_steps import SmallCnn


class WideBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0, bias=False) if stride != 1 or cin != cout else None

    def forward(self, x):
        a = F.relu(self.bn1(x))
        y = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return y + (x if self.shortcut is None else self.shortcut(a))


class WrnMini(nn.Module):
    """wrn-16-8-mini: stem 16/8, widths (128, 256, 512)/8, one block per stage."""

    def __init__(self, classes=10):
        super().__init__()
        widths = [16, 32, 64]
        self.conv1 = nn.Conv2d(3, 2, 3, 1, 1, bias=False)
        self.blocks = nn.Sequential(WideBlock(2, widths[0], 1), WideBlock(widths[0], widths[1], 2),
                                    WideBlock(widths[1], widths[2], 2))
        self.bn1 = nn.BatchNorm2d(widths[2])
        self.fc = nn.Linear(widths[2], classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.blocks(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


MODELS = {"small-cnn": (lambda: SmallCnn(3, 32, 32), 545194), "wrn-16-8-mini": (WrnMini, 75460)}


def timed(fn, reps):
    fn()  # warm-up
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out)


def routes(name, reps, k):
    make, params_expected = MODELS[name]
    torch.manual_seed(0)
    model = make().eval()
    n = sum(p.numel() for p in model.parameters())
    assert n == params_expected, f"{name}: {n} parameters, nrsbench has {params_expected}"
    x, y = torch.randn(256, 3, 32, 32), torch.randint(0, 10, (256,))
    ps = list(model.parameters())
    v = [torch.randn_like(p) for p in ps]
    loss = lambda: F.cross_entropy(model(x), y)
    r = {"params": n}
    r["gradient"] = timed(lambda: torch.autograd.grad(loss(), ps), reps)
    g = torch.autograd.grad(loss(), ps, create_graph=True)
    r["rev_rev_cached"] = timed(lambda: torch.autograd.grad(g, ps, grad_outputs=v, retain_graph=True), reps)

    def rev_rev():
        gg = torch.autograd.grad(loss(), ps, create_graph=True)
        return torch.autograd.grad(gg, ps, grad_outputs=v)

    r["rev_rev"] = timed(rev_rev, reps)
    named = {k_: p.detach() for k_, p in model.named_parameters()}
    bufs = dict(model.named_buffers())
    vd = {k_: t for (k_, _), t in zip(model.named_parameters(), v)}
    gfn = grad(lambda p: F.cross_entropy(functional_call(model, (p, bufs), (x,)), y))
    r["fwd_rev"] = timed(lambda: jvp(gfn, (named,), (vd,))[1], reps)
    _, vjp_fn = vjp(gfn, named)
    v4 = {k_: torch.randn((4,) + t.shape) for k_, t in named.items()}
    r["vmap4"] = timed(lambda: vmap(vjp_fn)(v4), reps) / 4
    try:
        from pyhessian import hessian
    except ImportError:
        r["pyhessian"] = None
    else:
        model.zero_grad()
        hc = hessian(model, nn.CrossEntropyLoss(), data=(x, y), cuda=False)
        r["pyhessian"] = timed(lambda: hc.eigenvalues(maxIter=k, tol=0.0, top_n=1), reps) / k
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--k", type=int, default=5, help="PyHessian power iterations per timing")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    out = {"kind": "hvp-routes", "torch": torch.__version__, "threads": a.threads, "batch": 256,
           "models": {m: routes(m, a.reps, a.k) for m in MODELS}}
    for m, r in out["models"].items():
        print(m, {k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()})
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
