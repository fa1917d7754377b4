#!/usr/bin/env python3
"""Reference outputs of torchvision's models for onyx's zoo.

For each model this writes, into OUTDIR:

  <model>.safetensors    the state_dict (parameters and buffers) of a freshly
                         initialised model (fixed seed), BatchNorm statistics
                         and affine parameters randomised so that every
                         buffer matters
  <model>_input.npy      a fixed float32 input [batch, 3, size, size]
  <model>_logits.npy     the model's output in eval mode
  manifest.json          the list of the above with each model's options

The safetensors file is written with the standard library only: an 8-byte
little-endian header length, the JSON header (dtype, shape and byte offsets
of each tensor), then the raw little-endian data.

Usage (Debian's python3-torch 1.13 and python3-torchvision 0.14):

  /usr/bin/python3 tools/torchvision/export_reference.py OUTDIR [--models resnet18,alexnet] [--seed 0]

then, from the repository root:

  ONYX_TORCHVISION_DIR=OUTDIR go test ./zoo -run Torchvision -v
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision

# Input size per model: torchvision's 224 where the Go side runs quickly
# enough with the reference kernels, smaller otherwise (every model here
# takes smaller inputs through its adaptive pooling).
SIZES = {
    "resnet18": 224,
    "alexnet": 224,
    "resnet34": 112,
    "resnet50": 112,
    "googlenet": 112,
    "densenet121": 112,
    "vgg11": 64,
    "vgg13": 64,
    "vgg16": 64,
    "vgg19": 64,
}
DEFAULT_MODELS = ["resnet18", "alexnet", "googlenet", "densenet121", "resnet50"]

DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.float64: ("F64", "<f8"),
    torch.int64: ("I64", "<i8"),
    torch.int32: ("I32", "<i4"),
}


def save_safetensors(path, tensors):
    """Writes a dict of name -> tensor in the safetensors format."""
    header = {}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        dtype, np_dtype = DTYPES[t.dtype]
        raw = np.ascontiguousarray(t.detach().cpu().numpy()).astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt", "producer": "torchvision " + torchvision.__version__}
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)
    os.replace(path + ".tmp", path)


def build(name):
    """The model as torchvision builds it without pretrained weights, and
    the options the onyx zoo needs to build the same one."""
    options = {"num_classes": 1000, "aux_heads": False}
    if name == "googlenet":
        # torchvision's default for fresh weights: auxiliary heads on,
        # transform_input off.
        model = torchvision.models.googlenet(weights=None, aux_logits=True, init_weights=True)
        options["aux_heads"] = True
    else:
        model = getattr(torchvision.models, name)(weights=None)
    return model, options


def randomize_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(1 + 0.1 * torch.randn(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                m.num_batches_tracked.fill_(7)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("outdir")
    p.add_argument("--models", default=",".join(DEFAULT_MODELS),
                   help="comma-separated torchvision model names (default %(default)s; known: " + ", ".join(SIZES) + ")")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=2)
    args = p.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = []
    for name in [m for m in args.models.split(",") if m]:
        if name not in SIZES:
            sys.exit("unknown model %s (known: %s)" % (name, ", ".join(SIZES)))
        torch.manual_seed(args.seed)
        model, options = build(name)
        gen = torch.Generator().manual_seed(args.seed + 1)
        randomize_batchnorm(model, gen)
        model.eval()
        size = SIZES[name]
        x = torch.randn(args.batch, 3, size, size, generator=gen)
        with torch.no_grad():
            y = model(x)
        weights = name + ".safetensors"
        save_safetensors(os.path.join(args.outdir, weights), model.state_dict())
        np.save(os.path.join(args.outdir, name + "_input.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(args.outdir, name + "_logits.npy"), y.numpy().astype(np.float32))
        manifest.append({"model": name, "weights": weights, "input": name + "_input.npy",
                         "logits": name + "_logits.npy", "options": options})
        print("%s: input %s, logits %s, %d tensors" % (name, tuple(x.shape), tuple(y.shape), len(model.state_dict())))
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "seed": args.seed,
                   "models": manifest}, f, indent=1)


if __name__ == "__main__":
    main()
