#!/usr/bin/env python3
"""PyTorch's masked training of the constant-weight MLP-1 family, for `benchmarks/mlp_family.sh`:
784 -> width -> 10 with biases, both weight layers masked to one connectivity so the model has
--weights weights (the uniform rule), SGD lr 0.1, batch 100, on a fixed batch of uniform random
pixels. The mask is applied to the gradient before the step and to the weights after it, as
benchmarks/torch_bench.py (and the paper's code) do. Reports the median step time over clean
0.5 s windows (benchmarks/torch_bench.py's timing) as samples per second. Benchmark-only: widesparse never runs Python."""
import argparse, json, math, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import masked_training_step, median_step_seconds, wait_for_quiet  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--widths", type=int, nargs="+", default=[5, 40, 160, 640])
parser.add_argument("--weights", type=int, default=3970)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--seconds", type=float, default=6)
args = parser.parse_args()
torch.set_num_threads(args.threads)

def mask(shape, kept, gen):
    n = math.prod(shape)
    flat = torch.zeros(n)
    flat[torch.randperm(n, generator=gen)[:kept]] = 1.0
    return flat.view(shape)

rows = []
for width in args.widths:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    fc1, fc2 = torch.nn.Linear(784, width), torch.nn.Linear(width, 10)
    model = torch.nn.Sequential(fc1, torch.nn.ReLU(), fc2)
    p = args.weights / (794 * width)
    kept2 = round(p * 10 * width)
    masks = [(fc1.weight, mask(fc1.weight.shape, args.weights - kept2, gen)), (fc2.weight, mask(fc2.weight.shape, kept2, gen))]
    with torch.no_grad():
        for w, m in masks:
            w.mul_(m)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.rand(100, 784), torch.randint(0, 10, (100,))
    step = masked_training_step(model, opt, masks, x, y)
    for _ in range(50):
        step()
    wait_for_quiet(30)
    seconds, contended = median_step_seconds(step, args.seconds, 6, 60)
    rows.append({"width": width, "weights": args.weights, "connectivity": p, "samples_per_s": 100 / seconds, "contended": contended})
    print(json.dumps(rows[-1]), flush=True)
print(json.dumps({"torch": torch.__version__, "threads": args.threads, "rows": rows}))
