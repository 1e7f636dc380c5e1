#!/usr/bin/env python3
"""PyTorch on the work `widesparse bench` times, for side-by-side benchmarks (BENCHMARKS.md).

Parts (one per call, as benchmarks/mlp.sh and benchmarks/resnet.sh call them):
  mlp           MLP-1 training steps, 784 -> width -> 10 with biases, SGD lr 0.1, batch 100,
                dense and masked (the first layer at density min(1, base/width), as `bench mlp`)
  resnet-train  CIFAR ResNet-18 training steps, SGD momentum 0.9, weight decay 5e-4, batch 128
  resnet-infer  CIFAR ResNet-18 evaluation-mode forward passes without gradients, batch 256
  vgg-train     the same for the CIFAR VGG of `widesparse train vgg` (--variant 11 or 16),
  vgg-infer     built as torchvision builds its VGGs (a list of layers from a configuration)
  memory        peak resident memory of a few ResNet-18 training steps of one configuration

ResNet configurations: a width (8), 'm' for masked to the weight count of --mask-base-width (64m),
'cl' for the channels_last layout (64mcl), PyTorch's fastest here. Masked models keep one
uniform density in every layer (a masked dense layer's speed does not depend on where its zeros
are). Masks are applied as the paper's code does: gradients masked before the step, weights
after it.

Timing as `widesparse bench` times: wait for a quiet machine, then windows of at least 0.5 s;
a window counts only when other processes used at most 0.15 cores in it (from /proc/stat and
this process's CPU time); the median step time over counted windows is reported. Results go to
--out as JSON (rows of repeated calls merge into one file per part and thread count).

Benchmark-only: widesparse never runs Python, and torch is never one of its dependencies.
Install it in a virtual environment outside the repository:
  python3 -m venv ~/torch-venv && ~/torch-venv/bin/pip install torch numpy
"""
import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# The CIFAR ResNet-18 with widesparse's parameter names (docs/load_run.py, docs/run-folder.md).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs"))
from load_run import torch_cifar_resnet18  # noqa: E402

CLEAN_FOREIGN_CORES = 0.15


# ---- timing on a shared machine ----------------------------------------------------------

def machine_busy_seconds():
    """CPU seconds all processes spent busy (not idle, not waiting for I/O)."""
    with open("/proc/stat") as f:
        fields = [float(v) for v in f.readline().split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def watch(body):
    """Runs body(); returns (wall seconds, cores other processes used meanwhile, body's value)."""
    machine, own, start = machine_busy_seconds(), time.process_time(), time.perf_counter()
    value = body()
    wall = time.perf_counter() - start
    foreign = max(0.0, (machine_busy_seconds() - machine) - (time.process_time() - own))
    return wall, foreign / wall if wall > 0 else 0.0, value


def wait_for_quiet(maximum):
    start, clean = time.perf_counter(), 0
    while clean < 3 and time.perf_counter() - start < maximum:
        _, foreign, _ = watch(lambda: time.sleep(1.0))
        clean = clean + 1 if foreign <= CLEAN_FOREIGN_CORES else 0


def median_step_seconds(step, seconds, min_windows, max_time):
    """Median seconds per call of step() over clean 0.5 s windows (all windows if too few were clean)."""
    def window():
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.5:
            step()
            steps += 1
        return steps

    clean, every, clean_time, start = [], [], 0.0, time.perf_counter()
    while (len(clean) < min_windows or clean_time < seconds) and time.perf_counter() - start < max_time:
        wall, foreign, steps = watch(window)
        every.append(wall / steps)
        if foreign <= CLEAN_FOREIGN_CORES:
            clean.append(wall / steps)
            clean_time += wall
    contended = len(clean) < min_windows
    return statistics.median(every if contended else clean), contended


# ---- models and masks ---------------------------------------------------------------------

def random_mask(shape, density, generator):
    """A 0/1 tensor of `shape` with round(density * size) ones at uniform random positions."""
    size = math.prod(shape)
    flat = torch.zeros(size)
    flat[torch.randperm(size, generator=generator)[:max(1, round(density * size))]] = 1.0
    return flat.view(shape)


def counted_weights(model):
    """Weights of convolutions and fully connected layers (docs/method.md section 1)."""
    return sum(m.weight.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))


def masked_training_step(model, optimizer, masks, x, y):
    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        for weight, mask in masks:
            weight.grad.mul_(mask)
        optimizer.step()
        with torch.no_grad():
            for weight, mask in masks:
                weight.mul_(mask)
    return step


def parse_config(text):
    """'64mcl' -> (64, masked=True, channels_last=True)."""
    channels_last = text.endswith("cl")
    text = text[:-2] if channels_last else text
    masked = text.endswith("m")
    return int(text[:-1] if masked else text), masked, channels_last


# torchvision's VGG configurations A and D; "M" is a max-pool. widesparse's CIFAR form (docs/method.md
# section 4) drops the fifth max-pool for global average pooling and has one classifier layer.
VGG_STAGES = {11: [[64], [128], [256, 256], [512, 512], [512, 512]],
              16: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]}


def torch_cifar_vgg(variant, width, classes=10, in_channels=3):
    """The model of `widesparse train vgg --variant <variant> --width <width>`, torchvision-style."""
    layers, channels = [], in_channels
    for index, stage in enumerate(VGG_STAGES[variant]):
        if index > 0:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        for out in stage:
            out = out * width // 64
            layers += [nn.Conv2d(channels, out, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU(inplace=True)]
            channels = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, classes))


def build_resnet(config, mask_base_width, generator, make=None):
    """The model of `config` (make(width) builds it; default the CIFAR ResNet-18) and its masks."""
    make = make or torch_cifar_resnet18
    width, masked, channels_last = parse_config(config)
    torch.manual_seed(0)
    model = make(width)
    masks = []
    if masked:
        density = counted_weights(make(mask_base_width)) / counted_weights(model)
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                masks.append((module.weight, random_mask(module.weight.shape, density, generator)))
        with torch.no_grad():
            for weight, mask in masks:
                weight.mul_(mask)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        masks = [(w, m.to(memory_format=torch.channels_last) if m.dim() == 4 else m) for w, m in masks]
    return model, masks, width, masked, channels_last


# ---- parts --------------------------------------------------------------------------------

def meta(args):
    with open("/proc/self/maps") as f:
        allocator = "tcmalloc" if "tcmalloc" in f.read() else "glibc malloc"
    return {"torch": torch.__version__, "threads": args.threads, "allocator": allocator,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "time": time.strftime("%Y-%m-%d %H:%M:%S")}


def save_rows(args, name, rows, key):
    """Adds rows to --out/name.json, replacing earlier rows with the same key."""
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, name + ".json")
    kept = []
    if os.path.exists(path):
        with open(path) as f:
            new_keys = {key(r) for r in rows}
            kept = [r for r in json.load(f)["rows"] if key(r) not in new_keys]
    with open(path + ".tmp", "w") as f:
        json.dump({"meta": meta(args), "rows": kept + rows}, f, indent=1)
    os.replace(path + ".tmp", path)


def bench_mlp(args):
    generator = torch.Generator().manual_seed(1)
    rows = []
    for width in args.mlp_widths:
        for masked in (False, True):
            density = min(1.0, args.mlp_base_width / width) if masked else 1.0
            torch.manual_seed(0)
            model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))
            # As `bench mlp`: the first layer keeps min(1, base/width) of its weights, the last stays dense.
            masks = [(model[0].weight, random_mask(model[0].weight.shape, density, generator))] if masked else []
            with torch.no_grad():
                for weight, mask in masks:
                    weight.mul_(mask)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            x, y = torch.rand(args.mlp_batch, 784), torch.randint(0, 10, (args.mlp_batch,))
            step = masked_training_step(model, optimizer, masks, x, y)
            for _ in range(50):
                step()
            wait_for_quiet(args.max_wait)
            seconds, contended = median_step_seconds(step, args.mlp_min_time, 6, args.max_time)
            row = {"width": width, "masked": masked, "density": density, "samples_per_s": args.mlp_batch / seconds,
                   "contended": contended}
            print(json.dumps(row), flush=True)
            rows.append(row)
    save_rows(args, f"mlp_t{args.threads}", rows, lambda r: (r["width"], r["masked"]))


def bench_resnet(args, train, variant=None):
    """ResNet-18 steps, or those of VGG-`variant`."""
    generator = torch.Generator().manual_seed(1)
    batch = args.train_batch if train else args.infer_batch
    make = (lambda width: torch_cifar_vgg(variant, width)) if variant else None
    rows = []
    for config in args.configs:
        model, masks, width, masked, channels_last = build_resnet(config, args.mask_base_width, generator, make)
        x, y = torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if train:
            model.train()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
            step = masked_training_step(model, optimizer, masks, x, y)
        else:
            model.eval()

            def step():
                with torch.no_grad():
                    model(x)
        for _ in range(3):
            step()
        wait_for_quiet(args.max_wait)
        # ResNet steps last up to seconds: windows of one step each, at least --min-steps of them.
        seconds, contended = median_step_seconds(step, args.min_time, args.min_steps, args.max_time)
        row = {"config": config, "width": width, "masked": masked, "channels_last": channels_last,
               "weights": counted_weights(model) if not masked else sum(int(m.sum()) for _, m in masks),
               "images_per_s": batch / seconds, "contended": contended}
        print(json.dumps(row), flush=True)
        rows.append(row)
    part = "train" if train else "infer"
    name = f"vgg{variant}" if variant else "resnet"
    save_rows(args, f"{name}_{part}_t{args.threads}", rows, lambda r: (r["width"], r["masked"], r["channels_last"]))


def bench_memory(args):
    generator = torch.Generator().manual_seed(1)
    model, masks, width, masked, channels_last = build_resnet(args.memory_config, args.mask_base_width, generator)
    x, y = torch.randn(args.train_batch, 3, 32, 32), torch.randint(0, 10, (args.train_batch,))
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    step = masked_training_step(model, optimizer, masks, x, y)
    for _ in range(args.memory_steps):
        step()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    os.makedirs(args.out, exist_ok=True)
    result = {"meta": meta(args), "config": args.memory_config, "width": width, "masked": masked,
              "peak_rss_kib": peak}
    with open(os.path.join(args.out, f"memory_{args.memory_config}_t{args.threads}.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=["mlp", "resnet-train", "resnet-infer", "vgg-train", "vgg-infer", "memory"])
    parser.add_argument("--variant", type=int, choices=[11, 16], default=11, help="VGG parts: VGG-11 or VGG-16")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/torch")
    parser.add_argument("--max-wait", type=float, default=30, help="seconds to wait at most for a quiet machine")
    parser.add_argument("--max-time", type=float, default=60, help="seconds per configuration at most")
    parser.add_argument("--mlp-widths", type=int, nargs="+", default=[5, 40, 160, 640])
    parser.add_argument("--mlp-base-width", type=int, default=5, help="masked MLPs keep density base/width")
    parser.add_argument("--mlp-batch", type=int, default=100)
    parser.add_argument("--mlp-min-time", type=float, default=6, help="seconds of clean windows per MLP width")
    parser.add_argument("--configs", nargs="+", default=["8cl", "18cl", "32cl", "64cl", "64mcl"])
    parser.add_argument("--mask-base-width", type=int, default=8, help="masked ResNets keep this width's weight count")
    parser.add_argument("--train-batch", type=int, default=128)
    parser.add_argument("--infer-batch", type=int, default=256)
    parser.add_argument("--min-time", type=float, default=20, help="seconds of clean time per ResNet configuration")
    parser.add_argument("--min-steps", type=int, default=10)
    parser.add_argument("--memory-config", default="64cl")
    parser.add_argument("--memory-steps", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.part == "mlp":
        bench_mlp(args)
    elif args.part == "memory":
        bench_memory(args)
    else:
        bench_resnet(args, train=args.part.endswith("-train"), variant=args.variant if args.part.startswith("vgg") else None)


if __name__ == "__main__":
    main()
