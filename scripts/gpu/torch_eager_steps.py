#!/usr/bin/env python3
"""PyTorch (Python, eager) twin of `nrsbench step-cost`, for the side-by-side
ratio in scripts/gpu-check (CUDA) and docs/performance.md (CPU). Optional
tooling: nothing in the product path runs Python.

Same models as models/resnet.cpp (CIFAR ResNet-18: 3x3 stem, no max-pool,
[2,2,2,2] BasicBlocks, 1x1 conv + BN shortcuts, global average pool, one
Linear) and models/small.cpp (small-cnn: 2x[conv3x3-BN-ReLU-maxpool2] with
32, 64 channels, FC 128, FC classes); same batch shape and the same step as
suite/optim/*: zeroed (not freed) gradients, first pass with its statistics
(loss, correct count, global gradient norm), SGD momentum 0.9 + decoupled
weight decay 5e-4 at lr 0.01 (which computes the norm again, as BaseSgd
does); SAM rho 0.05; NRS gradient r 0.05 / random r 0.5 K 1, alpha 1;
weights restored by copy from preallocated snapshots; BatchNorm buffers
saved and restored around the perturbed pass. Timing as step-cost: CUDA
events on a GPU, the host clock on the CPU (flush-denormal on, --threads
threads), variants interleaved, median over rounds.

usage: torch_eager_steps.py --out FILE [--device cuda|cpu] [--model resnet18|small-cnn]
       [--shape 3x32x32] [--classes 10] [--batch-size 256] [--precision fp32|bf16]
       [--channels-last] [--threads N] [--steps 20] [--rounds 3] [--warmup 5]
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
    def __init__(self, classes=10, channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, 64, 3, 1, 1, bias=False)
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


class SmallCnn(nn.Module):
    def __init__(self, c, h, w, classes=10, c1=32, c2=64):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c1, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c2)
        self.fc1 = nn.Linear(c2 * (h // 4) * (w // 4), 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


def global_norm(tensors):
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t.float()) for t in tensors]))


def safe_scale(r, norm):
    return torch.where(norm > 0, r / norm, torch.zeros_like(norm))


class Stepper:
    """One optimizer as a two-pass step, like suite/optim/*."""

    def __init__(self, label, model, precision, device):
        self.label, self.model, self.device = label, model, device
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.buf = [None] * len(self.params)
        self.buffers = list(model.buffers())
        self.saved_w = [torch.empty_like(p) for p in self.params]
        self.saved_b = [torch.empty_like(b) for b in self.buffers]
        self.direction = [torch.empty_like(p) for p in self.params]
        self.dtype = torch.bfloat16 if precision == "bf16" else None
        self.gen = torch.Generator(device=device).manual_seed(0)

    def logits(self, x):
        if self.dtype is None:
            return self.model(x)
        with torch.autocast(self.device.type, dtype=self.dtype):
            return self.model(x).float()

    @torch.no_grad()
    def base_step(self, lr=0.01, wd=5e-4, momentum=0.9):
        global_norm([p.grad for p in self.params])  # BaseSgd::step returns it
        for i, p in enumerate(self.params):
            d = p.grad.add(p, alpha=wd)
            if self.buf[i] is None:
                self.buf[i] = d.clone()
            else:
                self.buf[i].mul_(momentum).add_(d)
            p.add_(self.buf[i], alpha=-lr)

    @torch.no_grad()
    def save(self):
        for s, p in zip(self.saved_w, self.params):
            s.copy_(p)
        for s, b in zip(self.saved_b, self.buffers):
            s.copy_(b)

    @torch.no_grad()
    def restore_weights(self):
        for p, s in zip(self.params, self.saved_w):
            p.copy_(s)

    @torch.no_grad()
    def restore_buffers(self):
        for b, s in zip(self.buffers, self.saved_b):
            b.copy_(s)

    @torch.no_grad()
    def perturb(self):
        if self.label in ("sam", "nrs-gradient"):
            norm = global_norm([p.grad for p in self.params])
            scale = safe_scale(0.05, norm)
            for p in self.params:
                p.addcmul_(p.grad, scale)
        else:  # nrs-random
            for d in self.direction:
                d.normal_(0.0, 1.0, generator=self.gen)
            scale = safe_scale(0.5, global_norm(self.direction))
            for p, d in zip(self.params, self.direction):
                p.addcmul_(d, scale)

    def step(self, x, y):
        for p in self.params:
            if p.grad is not None:
                p.grad.zero_()
        out = self.logits(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        stats = (loss.detach(), out.detach().argmax(1).eq(y).sum(), global_norm([p.grad for p in self.params]))
        if self.label == "sgd":
            self.base_step()
            return stats
        logp = F.log_softmax(out.detach(), 1)
        self.save()
        self.perturb()
        if self.label == "sam":
            for p in self.params:
                p.grad.zero_()
            F.cross_entropy(self.logits(x), y).backward()
        else:
            logq = F.log_softmax(self.logits(x), 1)
            (logp.exp() * (logp - logq)).sum(1).mean().backward()  # alpha 1, adds to grad CE(w)
        self.restore_buffers()
        self.restore_weights()
        self.base_step()
        return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--model", choices=["resnet18", "small-cnn"], default="resnet18")
    ap.add_argument("--shape", default="3x32x32", help="input CxHxW")
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--optimizers", default="sgd,sam,nrs-gradient,nrs-random")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0 = all)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5)
    a = ap.parse_args()
    device = torch.device(a.device)
    cuda = device.type == "cuda"
    c, h, w = (int(v) for v in a.shape.split("x"))
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.backends.cudnn.benchmark = True
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    torch.manual_seed(0)
    x = torch.randn(a.batch_size, c, h, w).to(device).contiguous(memory_format=fmt)
    y = torch.randint(0, a.classes, (a.batch_size,)).to(device)
    steppers = []
    for label in a.optimizers.split(","):
        torch.manual_seed(0)
        m = ResNet18(a.classes, c) if a.model == "resnet18" else SmallCnn(c, h, w, a.classes)
        m = m.to(device).to(memory_format=fmt).train()
        steppers.append(Stepper(label, m, a.precision, device))
    for s in steppers:
        for _ in range(a.warmup):
            s.step(x, y)
    ms = {s.label: [] for s in steppers}
    for _ in range(a.rounds):
        for s in steppers:
            if cuda:
                t0, t1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                t0.record()
                for _ in range(a.steps):
                    s.step(x, y)
                t1.record()
                t1.synchronize()
                ms[s.label].append(t0.elapsed_time(t1) / a.steps)
            else:
                t0 = time.perf_counter()
                for _ in range(a.steps):
                    s.step(x, y)
                ms[s.label].append(1000.0 * (time.perf_counter() - t0) / a.steps)
    sgd = statistics.median(ms["sgd"]) if "sgd" in ms else float("nan")
    rows = []
    for s in steppers:
        m = statistics.median(ms[s.label])
        rows.append({"label": s.label, "ms_per_step": m, "ms_per_step_rounds": ms[s.label],
                     "images_per_s": 1000.0 * a.batch_size / m, "ratio_to_sgd": m / sgd})
    report = {"kind": "torch-eager-step-cost", "model": a.model, "input_shape": [c, h, w], "classes": a.classes,
              "batch_size": a.batch_size, "precision": a.precision, "channels_last": a.channels_last,
              "torch": torch.__version__, "threads": torch.get_num_threads(),
              "device": torch.cuda.get_device_name(device) if cuda else "cpu",
              "steps_per_round": a.steps, "rounds": a.rounds,
              "timing": ("CUDA events" if cuda else "host clock") + "; median over rounds, variants interleaved",
              "results": rows, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    with open(a.out, "w") as f:
        json.dump(report, f, indent=2)
    for r in rows:
        print(f"  torch eager {r['label']:<14} {r['ms_per_step']:9.3f} ms/step {r['images_per_s']:10.1f} img/s x{r['ratio_to_sgd']:.2f}")


if __name__ == "__main__":
    main()
