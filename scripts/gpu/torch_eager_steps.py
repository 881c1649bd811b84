#!/usr/bin/env python3
"""PyTorch (Python, eager) twin of `nrsbench step-cost`, for the side-by-side
ratio in scripts/gpu-check. Optional tooling: nothing in the product path runs
Python.

Same CIFAR ResNet-18 as models/resnet.cpp (3x3 stem, no max-pool, [2,2,2,2]
BasicBlocks, 1x1 conv + BN shortcuts, global average pool, one Linear), same
batch shape, same optimizer steps (SGD momentum 0.9 + decoupled weight decay
5e-4; SAM rho 0.05; NRS gradient r 0.05 / random r 0.5 K 1, alpha 1, BN
statistics from the unperturbed pass), the same timing (CUDA events, variants
interleaved, median over rounds).

usage: torch_eager_steps.py --out FILE [--batch-size 256] [--precision fp32|bf16]
       [--channels-last] [--steps 20] [--rounds 3] [--warmup 5]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(y + self.shortcut(x))


class ResNet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for i, w in enumerate([64, 128, 256, 512]):
            for j in range(2):
                layers.append(Block(cin, w, 2 if (j == 0 and i > 0) else 1))
                cin = w
        self.layers = nn.Sequential(*layers)
        self.linear = nn.Linear(512, classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class Stepper:
    """One optimizer as a two-pass step, like suite/optim/*."""

    def __init__(self, label, model, precision):
        self.label, self.model = label, model
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.buf = [torch.zeros_like(p) for p in self.params]
        self.bn = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        self.dtype = torch.bfloat16 if precision == "bf16" else None
        self.gen = torch.Generator(device="cuda").manual_seed(0)

    def logits(self, x):
        if self.dtype is None:
            return self.model(x)
        with torch.autocast("cuda", dtype=self.dtype):
            return self.model(x).float()

    def grad_norm(self):
        return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad) for p in self.params]))

    def save_bn(self):
        return [(m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()) for m in self.bn]

    def restore_bn(self, saved):
        for m, (a, b, c) in zip(self.bn, saved):
            m.running_mean.copy_(a)
            m.running_var.copy_(b)
            m.num_batches_tracked.copy_(c)

    @torch.no_grad()
    def sgd(self, lr=0.01, wd=5e-4, momentum=0.9):
        for p, b in zip(self.params, self.buf):
            d = p.grad.add(p, alpha=wd)
            b.mul_(momentum).add_(d)
            p.add_(b, alpha=-lr)

    def step(self, x, y):
        for p in self.params:
            p.grad = None
        out = self.logits(x)
        F.cross_entropy(out, y).backward()
        if self.label == "sgd":
            self.sgd()
            return
        saved_w = [p.detach().clone() for p in self.params]
        saved_bn = self.save_bn()
        with torch.no_grad():
            if self.label == "sam" or self.label == "nrs-gradient":
                r = 0.05
                scale = r / (self.grad_norm() + 1e-12)
                for p in self.params:
                    p.add_(p.grad * scale)
            else:  # nrs-random
                u = [torch.randn(p.shape, device=p.device, generator=self.gen) for p in self.params]
                n = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in u]))
                for p, t in zip(self.params, u):
                    p.add_(t * (0.5 / n))
        if self.label == "sam":
            for p in self.params:
                p.grad = None
            F.cross_entropy(self.logits(x), y).backward()
        else:
            logp = F.log_softmax(out.detach(), 1)
            logq = F.log_softmax(self.logits(x), 1)
            (logp.exp() * (logp - logq)).sum(1).mean().backward()  # alpha 1, adds to grad CE(w)
        with torch.no_grad():
            for p, s in zip(self.params, saved_w):
                p.copy_(s)
        self.restore_bn(saved_bn)
        self.sgd()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--optimizers", default="sgd,sam,nrs-gradient,nrs-random")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    torch.backends.cudnn.benchmark = True
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    torch.manual_seed(0)
    x = torch.randn(a.batch_size, 3, 32, 32, device="cuda").contiguous(memory_format=fmt)
    y = torch.randint(0, 10, (a.batch_size,), device="cuda")
    steppers = []
    for label in a.optimizers.split(","):
        torch.manual_seed(0)
        m = ResNet18().cuda().to(memory_format=fmt).train()
        steppers.append(Stepper(label, m, a.precision))
    for s in steppers:
        for _ in range(a.warmup):
            s.step(x, y)
    ms = {s.label: [] for s in steppers}
    for _ in range(a.rounds):
        for s in steppers:
            t0, t1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            t0.record()
            for _ in range(a.steps):
                s.step(x, y)
            t1.record()
            t1.synchronize()
            ms[s.label].append(t0.elapsed_time(t1) / a.steps)
    sgd = statistics.median(ms["sgd"]) if "sgd" in ms else float("nan")
    rows = []
    for s in steppers:
        m = statistics.median(ms[s.label])
        rows.append({"label": s.label, "ms_per_step": m, "ms_per_step_rounds": ms[s.label],
                     "images_per_s": 1000.0 * a.batch_size / m, "ratio_to_sgd": m / sgd})
    report = {"kind": "torch-eager-step-cost", "model": "resnet18", "batch_size": a.batch_size,
              "precision": a.precision, "channels_last": a.channels_last, "torch": torch.__version__,
              "device": torch.cuda.get_device_name(0), "steps_per_round": a.steps, "rounds": a.rounds,
              "timing": "CUDA events; median over rounds, variants interleaved", "results": rows,
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
    for r in rows:
        print(f"  torch eager {r['label']:<14} {r['ms_per_step']:9.3f} ms/step {r['images_per_s']:10.1f} img/s x{r['ratio_to_sgd']:.2f}")


if __name__ == "__main__":
    main()
