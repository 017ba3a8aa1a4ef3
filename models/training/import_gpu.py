"""Turns train_gpu.py's outputs (sd.npz / flux.npz) into the checkpoints train_vae.py, train_unet.py and
train_flux.py write, then exports the ONNX folders with those scripts' own export code.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/import_gpu.py DIR [--out models]   # DIR holds sd.npz and/or flux.npz

Writes checkpoints/vae_<variant>_final.pt, unet_final.pt, flux_final.pt (git-ignored) and exports into
<out>/tiny-sd and <out>/tiny-flux (default: models/). Run make_fixtures_part2.py afterwards for the goldens.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import part2_common as pc  # noqa: E402
import train_flux  # noqa: E402
import train_unet  # noqa: E402
import train_vae  # noqa: E402


def load(path: str) -> tuple:
    with np.load(path) as z:
        meta = json.loads(str(z["meta"]))
        arrays = {k: torch.from_numpy(z[k].copy()) for k in z.files if k != "meta"}
    return meta, arrays


def part(arrays: dict, prefix: str) -> dict:
    return {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + ".")}


def save_vae(variant: str, meta: dict, arrays: dict) -> None:
    v = meta["vae"]
    state = {"model": part(arrays, "vae"), "shift": v["shift"], "scale": v["scale"],
             "metrics": {"psnr": v["psnr"], **v["reconstructions"]}, "source": "train_gpu.py"}
    torch.save(state, os.path.join(pc.CKPT_DIR, f"vae_{variant}_final.pt"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--out", default=pc.MODELS)
    args = ap.parse_args()
    os.makedirs(pc.CKPT_DIR, exist_ok=True)
    sd, flux = os.path.join(args.dir, "sd.npz"), os.path.join(args.dir, "flux.npz")
    if os.path.exists(sd):
        meta, arrays = load(sd)
        save_vae("sd", meta, arrays)
        cfg = meta["unet"]["config"]
        torch.save({"config": cfg, "ema": part(arrays, "unet"), "source": "train_gpu.py"},
                   os.path.join(pc.CKPT_DIR, "unet_final.pt"))
        train_vae.export("sd", args.out)
        train_unet.export(os.path.join(args.out, "tiny-sd"))
    if os.path.exists(flux):
        meta, arrays = load(flux)
        save_vae("flux", meta, arrays)
        f = meta["flux"]
        torch.save({"t5_config": f["t5_config"], "flux_config": f["flux_config"], "ema": part(arrays, "model"),
                    "source": "train_gpu.py"}, os.path.join(pc.CKPT_DIR, "flux_final.pt"))
        train_vae.export("flux", args.out)
        train_flux.export(os.path.join(args.out, "tiny-flux"))


if __name__ == "__main__":
    main()
