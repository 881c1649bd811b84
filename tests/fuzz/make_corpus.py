#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/: a few valid and a
few truncated inputs per target, small enough for libFuzzer's default input
size. Run from anywhere; overwrites only the files it names (regression
inputs from fixed findings, crash-*, stay). The weights seed is saved by the
project's own save_weights, through the built fuzz_weights:
    tests/fuzz/make_corpus.py [build-fuzz/tests/fuzz/fuzz_weights]
"""
import gzip
import json
import os
import struct
import subprocess
import sys
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def read(path):
    with open(path, "rb") as f:
        return f.read()


def read_zip(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name)


# A copy of the zip at `src` with some entries' contents replaced.
def rezip(src, name, replace):
    out = os.path.join(CORPUS, "fuzz_weights", name)
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as o:
        for n in z.namelist():
            o.writestr(n, replace.get(n, z.read(n)))


def idx(magic_dims, dims, payload):
    return struct.pack(">I", 0x800 | magic_dims) + b"".join(struct.pack(">I", d) for d in dims) + payload


def png(w, h, rgb):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    # IDX: labels (1-D) and images (3-D), raw and gzip, then broken ones.
    labels = idx(1, [4], bytes([0, 3, 9, 1]))
    images = idx(3, [2, 3, 3], bytes(range(18)))
    put("fuzz_idx", "labels.idx", labels)
    put("fuzz_idx", "images.idx", images)
    put("fuzz_idx", "labels.idx.gz", gzip.compress(labels, mtime=0))
    put("fuzz_idx", "images.idx.gz", gzip.compress(images, mtime=0))
    put("fuzz_idx", "truncated-header.idx", images[:9])
    put("fuzz_idx", "truncated-payload.idx", images[:-1])
    put("fuzz_idx", "truncated.idx.gz", gzip.compress(images, mtime=0)[:20])

    # CIFAR: one CIFAR-10 record (label + 3072 pixels), one CIFAR-100 record
    # (coarse, fine + pixels), a truncated record.
    pixels = bytes((i * 7) % 256 for i in range(3072))
    put("fuzz_cifar", "cifar10-1.bin", bytes([3]) + pixels)
    put("fuzz_cifar", "cifar100-1.bin", bytes([4, 42]) + pixels)
    put("fuzz_cifar", "truncated.bin", (bytes([3]) + pixels)[:1000])

    # Images: two CIFAR-10 test JPEGs (32x32) from ../shared/data when
    # present (tests/fuzz/corpus keeps the committed copies), PNGs, truncated.
    put("fuzz_image", "red-4x3.png", png(4, 3, [255, 0, 0]))
    put("fuzz_image", "gray-1x1.png", png(1, 1, [128, 128, 128]))
    put("fuzz_image", "truncated.png", png(4, 3, [255, 0, 0])[:40])
    jpg = os.path.join(CORPUS, "fuzz_image", "cifar-airplane-0000.jpg")
    if os.path.exists(jpg):
        put("fuzz_image", "truncated.jpg", read(jpg)[:300])

    # Protocols: two shipped ones and variants using groups, grids, overrides.
    for name in ("ci-smoke", "fmnist-quick"):
        put("fuzz_protocol", name + ".json", read(os.path.join(ROOT, "suite", "protocols", name + ".json")))
    grid = {"name": "g", "seeds": [0, 1], "defaults": {"dataset": "fashion-mnist", "epochs": 1},
            "models": ["small-cnn-mini"],
            "optimizers": ["sgd", {"optimizer": "sam", "grid": {"rho": [0.02, 0.05]}}],
            "overrides": [{"when": {"label": "sgd"}, "set": {"lr": 0.1}}],
            "groups": [{"label": "a", "defaults": {"epochs": 2}}, {"label": "b", "models": ["small-cnn"]}]}
    put("fuzz_protocol", "grid-groups.json", json.dumps(grid))
    put("fuzz_protocol", "truncated.json", json.dumps(grid)[:80])
    put("fuzz_protocol", "not-object.json", "[1, 2]")

    # Results: a schema-1 and a schema-2 result, a manifest, truncated.
    r1 = {"schema_version": 1, "seed": 0, "variant": "sgd", "status": "ok", "git_commit": "x", "device": "cpu",
          "config": {"dataset": "fashion-mnist", "model": "small-cnn", "epochs": 5, "batch_size": 128,
                     "device": "cpu", "precision": "fp32", "channels_last": False, "seed": 0,
                     "optimizer": {"name": "sgd"}, "augment": {"mode": "basic"},
                     "sgd": {"wd_mode": "decoupled"}, "hessian": {"top_k": 2}},
          "final": {"test_acc": 0.9, "test_loss": 0.3}, "hessian": {"lambda_max": 12.5},
          "throughput": {"ms_per_step": 5.0, "train_images_per_s": 200.0},
          "history": [{"epoch": 1, "train_loss": 0.5, "test_acc": 0.9}]}
    put("fuzz_results", "schema1.json", json.dumps(r1))
    put("fuzz_results", "truncated.json", json.dumps(r1)[:150])
    put("fuzz_results", "manifest.json", json.dumps({"kind": "nrsbench-protocol-manifest", "name": "p", "seeds": [0, 1],
                                                     "cells": [{"id": "0123456789ab", "name": "d/m/sgd"}]}))
    # A step-cost report that matches the target's fixed SGD cell (fake_result.h).
    put("fuzz_results", "step-cost.json", json.dumps({
        "kind": "nrsbench-step-cost", "model": "small-cnn", "device": "cpu: fuzz", "precision": "fp32",
        "channels_last": False, "batch_size": 128, "threads": 1, "git_commit": "x", "time": "2026-01-01T00:00:00Z",
        "results": [{"label": "sgd", "variant": "sgd", "ms_per_step": 4.0, "ratio_to_sgd": 1.0},
                    {"label": "sam", "variant": "sam", "ms_per_step": 8.0, "ratio_to_sgd": 2.0}]}))
    real = os.path.join(ROOT, "results", "fmnist-sweep-long", "fashion-mnist", "small-cnn", "sam-rho0.02-s0.json")
    if os.path.exists(real):
        put("fuzz_results", "schema2-sam.json", json.dumps(json.loads(read(real)), separators=(",", ":")))

    # Baselines: entries and claims matching fuzz_baselines' fixed cells, a
    # shipped claims file, truncated.
    entries = {"kind": "paper", "entries": [
        {"id": "e1", "dataset": "fashion-mnist", "model": "small-cnn", "optimizer": "sgd", "epochs": 5,
         "augmentation": "basic", "metric": "test_acc", "value": 0.9, "ci95": 0.01, "citation": "fuzz"},
        {"id": "e2", "match": {"dataset": "fashion-mnist", "label": ["sgd", "nrs-gradient"]},
         "metric": "test_error_pct", "value": 9.5, "tolerance": {"abs": 1.0, "derived": "d"}, "citation": "fuzz"},
        {"id": "e3", "dataset": "fashion-mnist", "model": "small-cnn", "optimizer": "sgd", "best_of_epochs": [5, 10],
         "metric": "lambda_max", "value": 11, "tolerance": {"k": 2}, "provenance": "fuzz"}],
        "claims": [{"id": "c1", "claim": "x", "check": "nrs.test_acc >= sgd.test_acc - 0.01", "citation": "fuzz"},
                   {"id": "c2", "claim": "y", "check": "nrs.lambda_max < sgd.lambda_max", "citation": "fuzz"}]}
    put("fuzz_baselines", "entries-claims.json", json.dumps(entries))
    put("fuzz_baselines", "truncated.json", json.dumps(entries)[:200])
    put("fuzz_baselines", "nrs-paper-claims.json", read(os.path.join(ROOT, "baselines", "nrs-paper-claims.json")))

    # Weights: saved by the project's save_weights through fuzz_weights.
    if len(sys.argv) > 1:
        seed = os.path.join(CORPUS, "fuzz_weights", "tiny.pt")
        os.makedirs(os.path.dirname(seed), exist_ok=True)
        subprocess.run([sys.argv[1]], check=True, env=dict(os.environ, NRSBENCH_FUZZ_WRITE_SEED=seed))
        data = read(seed)
        put("fuzz_weights", "truncated-half.pt", data[: len(data) // 2])
        put("fuzz_weights", "truncated-tail.pt", data[:-5])
        put("fuzz_weights", "not-a-dict.pt", b"\x80\x02K\x07.")  # pickle protocol 2: the integer 7
        # Regressions (docs/robustness.md): fc.weight (2x3 floats, storage
        # record data/0) given a record too short, a stride or an offset that
        # reaches far outside it. Stored zip entries, valid CRCs.
        pkl = read_zip(seed, "archive/data.pkl")
        shape = b"(K\x02K\x03t(K\x03K\x01t"  # sizes (2, 3), strides (3, 1)
        assert shape in pkl and b"tQq\x07K\x00(" in pkl
        rezip(seed, "regress-short-record.pt", {"archive/data/0": b"\0\0\0\0"})
        rezip(seed, "regress-huge-stride.pt",
              {"archive/data.pkl": pkl.replace(shape, b"(K\x02K\x03t(J\x00\x00\x00\x40K\x01t", 1)})
        rezip(seed, "regress-huge-offset.pt",
              {"archive/data.pkl": pkl.replace(b"tQq\x07K\x00(", b"tQq\x07J\x00\x00\x00\x40(", 1)})


if __name__ == "__main__":
    main()
