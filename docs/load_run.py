#!/usr/bin/env python3
"""Reads a widesparse run folder from Python: NumPy only, PyTorch optional (docs/run-folder.md).

    python3 docs/load_run.py RUN_FOLDER            # prints what the folder holds
    python3 docs/load_run.py RUN_FOLDER --check    # a run on mnist5k: recomputes its final test
                                                   # accuracy from the checkpoint (MLP-1 with
                                                   # NumPy, CIFAR ResNet-18 with PyTorch)

In your own code:

    from load_run import read_safetensors, dense_state
    state, momentum, masks, meta = dense_state("runs/mlp/<run id>")
    # state["fc1.weight"]: np.float32 [out, in], exactly 0 where masks["fc1.weight"] is 0

    import torch
    model.load_state_dict({name: torch.from_numpy(v) for name, v in torch_names(state).items()})

No widesparse code and no safetensors package is needed: a safetensors file is an 8-byte
little-endian header length, a JSON header (name -> dtype, shape, byte offsets; "__metadata__"
-> strings) and the raw little-endian tensor bytes.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np


def read_safetensors(path):
    """{name: np.ndarray} and the metadata dict of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    metadata = header.pop("__metadata__", {})
    body = data[8 + header_length:]
    dtypes = {"F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4", "U8": "u1"}
    tensors = {}
    for name, entry in header.items():
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(body[start:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


def dense_state(run_folder):
    """The checkpoint as dense tensors: (parameters and batch-norm buffers, momentum buffers,
    masks, checkpoint metadata). Layers trained with `--execution sparse` store only their kept
    weights, in row-major order of the mask's kept entries; they are scattered back here."""
    tensors, meta = read_safetensors(os.path.join(run_folder, "checkpoint.safetensors"))
    masks_path = os.path.join(run_folder, "masks.safetensors")
    masks = read_safetensors(masks_path)[0] if os.path.exists(masks_path) else {}

    def dense(name, values):
        mask = masks.get(name)
        if mask is None or values.shape == mask.shape:
            return values.copy()
        full = np.zeros(mask.shape, dtype=values.dtype)
        full[mask == 1] = values  # boolean indexing runs in row-major (C) order
        return full

    state = {n: dense(n, v) for n, v in tensors.items() if not n.startswith("momentum/")}
    momentum = {n[len("momentum/"):]: dense(n[len("momentum/"):], v) for n, v in tensors.items() if n.startswith("momentum/")}
    return state, momentum, masks, meta


def torch_names(state, torchvision=False):
    """widesparse's parameter names are those of the common PyTorch CIFAR ResNet-18 (conv1, bn1,
    layerS.B.conv1, layerS.B.shortcut.0/1, linear) and of an MLP with fc1/fc2. With
    torchvision=True the ResNet names become torchvision's (shortcut -> downsample, linear -> fc);
    widths other than 64 still need a module built for them."""
    if not torchvision:
        return dict(state)
    renamed = {}
    for name, value in state.items():
        name = name.replace(".shortcut.", ".downsample.")
        name = "fc." + name[len("linear."):] if name.startswith("linear.") else name
        renamed[name] = value
    return renamed


def torch_cifar_resnet18(width, input_channels=3, classes=10):
    """A PyTorch CIFAR ResNet-18 (docs/method.md section 4) whose state_dict keys are widesparse's
    checkpoint names, so `model.load_state_dict(...)` takes dense_state's tensors as they are."""
    import torch.nn as nn
    import torch.nn.functional as F

    class BasicBlock(nn.Module):
        def __init__(self, inputs, outputs, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(outputs)
            self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(outputs)
            self.shortcut = nn.Sequential()
            if stride != 1 or inputs != outputs:
                self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(input_channels, width, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            channels = width
            for stage in range(1, 5):
                outputs = width << (stage - 1)
                blocks = [BasicBlock(channels, outputs, 1 if stage == 1 else 2), BasicBlock(outputs, outputs, 1)]
                setattr(self, f"layer{stage}", nn.Sequential(*blocks))
                channels = outputs
            self.linear = nn.Linear(channels, classes)

        def forward(self, x):
            x = F.relu(self.bn1(self.conv1(x)))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))

    return ResNet18()


def mnist5k_test_part(path=os.path.expanduser("~/.cache/widesparse/mnist_5k.csv.gz")):
    """The 1000 test digits as widesparse splits mnist5k: the last 100 of each class in file order."""
    rows = np.loadtxt(gzip.open(path, "rt"), delimiter=",", dtype=np.float32)
    images, labels = rows[:, :784], rows[:, 784].astype(int)
    test = np.concatenate([np.flatnonzero(labels == c)[-100:] for c in range(10)])
    return images[test], labels[test]


def check_resnet_accuracy(run_folder):
    """Recomputes a CIFAR-form ResNet-18 run's final test accuracy on mnist5k with PyTorch."""
    import torch
    config = json.load(open(os.path.join(run_folder, "config.json")))
    result = json.load(open(os.path.join(run_folder, "result.json")))
    resnet = config["model"]["resnet18"]
    assert config["data"]["dataset"] == "mnist5k" and resnet["form"] == "cifar", "needs a CIFAR-form ResNet-18 run on mnist5k"
    assert "bottleneck" not in resnet and "stageWidths" not in resnet, "needs a plain model widened everywhere"
    state, _, _, meta = dense_state(run_folder)
    model = torch_cifar_resnet18(resnet["width"], resnet["inputChannels"], resnet["classes"])
    tensors = {name: torch.from_numpy(value.copy()) for name, value in state.items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    assert not unexpected and all(name.endswith("num_batches_tracked") for name in missing), (missing, unexpected)
    images, labels = mnist5k_test_part()
    x = torch.from_numpy((images / 255 - config["data"]["mean"]) / config["data"]["std"]).view(-1, 1, 28, 28)
    with torch.no_grad():
        accuracy = float((model.eval()(x).argmax(1).numpy() == labels).mean())
    print(f"epoch {meta['epoch']}: PyTorch test accuracy {accuracy:.4f}, result.json final {result['finalTestAccuracy']:.4f}")
    return abs(accuracy - result["finalTestAccuracy"]) <= 0.002  # float rounding may flip a near tie


def check_mlp_accuracy(run_folder):
    """Recomputes an MLP-1 run's final test accuracy on mnist5k from its checkpoint."""
    config = json.load(open(os.path.join(run_folder, "config.json")))
    result = json.load(open(os.path.join(run_folder, "result.json")))
    mlp = config["model"]["mlp"]
    assert config["model"]["kind"] == "mlp" and config["data"]["dataset"] == "mnist5k", "needs an MLP-1 run on mnist5k"
    assert mlp["parameterisation"] == "standard" and not mlp["batchNorm"], "needs the standard parameterisation without batch norm"
    state, _, masks, meta = dense_state(run_folder)
    images, labels = mnist5k_test_part()
    x = (images / 255 - config["data"]["mean"]) / config["data"]["std"]
    hidden = x @ state["fc1.weight"].T + state.get("fc1.bias", 0)
    hidden = np.maximum(hidden, 0) if mlp["activation"] == "relu" else hidden
    logits = hidden @ state["fc2.weight"].T + state.get("fc2.bias", 0)
    accuracy = float((logits.argmax(1) == labels).mean())
    for name, mask in masks.items():
        assert np.all(state[name][mask == 0] == 0), f"{name}: a removed weight is not 0"
    print(f"epoch {meta['epoch']}: NumPy test accuracy {accuracy:.4f}, result.json final {result['finalTestAccuracy']:.4f}")
    return abs(accuracy - result["finalTestAccuracy"]) < 1e-9


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    folder = sys.argv[1]
    if "--check" in sys.argv:
        kind = json.load(open(os.path.join(folder, "config.json")))["model"]["kind"]
        sys.exit(0 if (check_mlp_accuracy if kind == "mlp" else check_resnet_accuracy)(folder) else 1)
    state, momentum, masks, meta = dense_state(folder)
    print(f"checkpoint after epoch {meta.get('epoch')} ({meta.get('format')})")
    for name, value in sorted(state.items()):
        kept = f", {int(masks[name].sum())} of {masks[name].size} kept" if name in masks else ""
        print(f"  {name} {list(value.shape)}{kept}{', momentum' if name in momentum else ''}")


if __name__ == "__main__":
    main()
