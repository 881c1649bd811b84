#!/usr/bin/env python3
"""Where a CPU training step's time goes, by operator, in fp32 and in bf16:
PyTorch's profiler on the eager twin of `nrsbench step-cost`
(scripts/gpu/torch_eager_steps.py: same models, batch and step), which runs
the same LibTorch kernels as nrsbench's 2.x build. Prints, per precision, the
operators with the most self time and what share of the step they take.
Optional tooling (docs/performance.md): nothing in the product path runs
Python.

usage: profile_eager_step.py [--model resnet18|small-cnn] [--shape 3x32x32] [--batch-size 32]
       [--optimizer sgd|sam|nrs-gradient] [--threads 2] [--steps 3] [--channels-last] [--top 12]
"""
import argparse

import torch
import torch.nn.functional as F  # noqa: F401 (the twin's step uses it)
from torch.profiler import ProfilerActivity, profile

from gpu.torch_eager_steps import ResNet18, SmallCnn, Stepper


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["resnet18", "small-cnn"], default="resnet18")
    ap.add_argument("--shape", default="3x32x32")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--optimizer", default="sgd", choices=["sgd", "sam", "nrs-gradient"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    c, h, w = (int(v) for v in a.shape.split("x"))
    fmt = torch.channels_last if a.channels_last else torch.contiguous_format
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        model = (ResNet18(10, c) if a.model == "resnet18" else SmallCnn(c, h, w)).to(memory_format=fmt)
        x = torch.randn(a.batch_size, c, h, w).contiguous(memory_format=fmt)
        y = torch.randint(0, 10, (a.batch_size,))
        s = Stepper(a.optimizer, model, precision, torch.device("cpu"))
        for _ in range(2):
            s.step(x, y)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(a.steps):
                s.step(x, y)
        events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
        total = sum(e.self_cpu_time_total for e in events)
        print(f"\n{a.model} {a.optimizer} {precision}{' channels_last' if a.channels_last else ''}, batch "
              f"{a.batch_size}, {a.threads} thread(s): {total / 1000 / a.steps:.1f} ms of operator self time per step")
        print("| operator | ms per step | share |")
        print("|---|---|---|")
        for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[: a.top]:
            print(f"| {e.key} | {e.self_cpu_time_total / 1000 / a.steps:.1f} | {100 * e.self_cpu_time_total / total:.0f}% |")


if __name__ == "__main__":
    main()
