"""Trains a tiny KL autoencoder on shapes-world images and exports it in optimum's ONNX VAE layout.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_vae.py --variant sd     # -> models/tiny-sd/vae_*
    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_vae.py --variant flux   # -> models/tiny-flux/vae_*

Loss: per-pixel (|d| + d^2) on [-1, 1] images, weighted 5x on object pixels (objects are small; their edges
carry the shape), plus beta * KL(N(mean, exp(logvar)) || N(0, 1)) per latent element. The decoder sees
posterior samples, so it tolerates the small errors a diffusion model makes in latent space.

After training the script measures the latent statistics the way the real VAEs' constants were chosen:
scaling_factor = 1 / std of sampled latents over training images (SD: shift_factor null), and for Flux
shift_factor = their mean, scaling_factor = 1 / std after the shift. Then it exports
  vae_encoder/model.onnx  sample float32 [B,3,64,64] in [-1,1] -> latent_parameters float32 [B,2C,h,w] = mean ‖ logvar
  vae_decoder/model.onnx  latent_sample float32 [B,C,h,w] (unscaled) -> sample float32 [B,3,64,64] in [-1,1]
and config.json (diffusers AutoencoderKL) into both folders. Checkpoints: models/training/checkpoints/vae_<variant>.pt.
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
from judge_reference import judge  # noqa: E402
from tiny_vae import VARIANTS, DecoderExport, EncoderExport, TinyVae  # noqa: E402

FOLDERS = {"sd": "tiny-sd", "flux": "tiny-flux"}
SEED = 4321


def load_vae(variant: str, path: str | None = None) -> tuple:
    """The trained VAE of a variant and its saved latent statistics (shift, scale)."""
    path = path or os.path.join(pc.CKPT_DIR, f"vae_{variant}_final.pt")
    state = torch.load(path)
    vae = TinyVae(VARIANTS[variant])
    vae.load_state_dict(state["model"])
    vae.eval()
    return vae, state["shift"], state["scale"]


@torch.no_grad()
def evaluate(vae: TinyVae, n: int = 400) -> dict:
    """Reconstruction PSNR on val images and judge agreement on reconstructions of single-object val scenes."""
    imgs, scenes = pc.render_split(n, "val", objects=1)
    x = pc.to_unit(imgs)
    mean, _ = vae.encode(x)
    rec = vae.decode(mean)
    mse = float(((rec.clamp(-1, 1) - x) ** 2).mean())
    psnr = 10 * np.log10(4.0 / mse)
    out = pc.to_uint8(rec)
    colour = shape = shape_bin = 0
    for img, s in zip(out, scenes):
        for binarized in (False, True):
            try:
                j = judge(pc.binarize(img) if binarized else img)
            except Exception:
                continue
            if binarized:
                shape_bin += j["shape"] == s.objects[0].shape
            else:
                colour += j["colour"] == s.objects[0].colour
                shape += j["shape"] == s.objects[0].shape
    # Judge on the originals, as the ceiling for the reconstructions.
    base = sum(judge(img)["shape"] == s.objects[0].shape for img, s in zip(imgs, scenes))
    return {"psnr": round(psnr, 2), "colour": round(100 * colour / n, 1), "shape": round(100 * shape / n, 1),
            "shape_binarized": round(100 * shape_bin / n, 1),
            "shape_on_originals": round(100 * base / n, 1)}


@torch.no_grad()
def latent_stats(vae: TinyVae, n: int = 4096) -> tuple:
    imgs, _ = pc.render_split(n, "train", start=100000)
    gen = torch.Generator().manual_seed(SEED)
    zs = []
    for i in range(0, n, 256):
        mean, logvar = vae.encode(pc.to_unit(imgs[i:i + 256]))
        zs.append(mean + torch.randn(mean.shape, generator=gen) * (0.5 * logvar).exp())
    z = torch.cat(zs)
    return float(z.mean()), float(z.std())


def config_json(variant: str, vae: TinyVae, shift: float, scale: float) -> dict:
    cfg = vae.cfg
    n = len(cfg.block_out_channels)
    return {
        "_class_name": "AutoencoderKL",
        "_diffusers_version": pc.DIFFUSERS_VERSION,
        "act_fn": "silu",
        "block_out_channels": list(cfg.block_out_channels),
        "down_block_types": ["DownEncoderBlock2D"] * n,
        "force_upcast": True,
        "in_channels": 3,
        "latent_channels": cfg.latent_channels,
        "latents_mean": None,
        "latents_std": None,
        "layers_per_block": max(cfg.layers),
        "mid_block_add_attention": False,
        "norm_num_groups": cfg.norm_num_groups,
        "out_channels": 3,
        "sample_size": 64,
        "scaling_factor": round(scale, 5),
        "shift_factor": round(shift, 5) if variant == "flux" else None,
        "up_block_types": ["UpDecoderBlock2D"] * n,
        "use_post_quant_conv": False,
        "use_quant_conv": False,
        "_tiny_architecture": (f"shapes-world tiny VAE ({variant}): {2 ** (n - 1)}x down, ResnetBlocks per level "
                               f"{list(cfg.layers)}, no attention, no quant convs; see models/training/tiny_vae.py"),
    }


def export(variant: str, out_root: str) -> None:
    vae, shift, scale = load_vae(variant)
    folder = os.path.join(out_root, FOLDERS[variant])
    c, f = vae.cfg.latent_channels, vae.down_factor
    h = 64 // f
    pc.export_onnx(DecoderExport(vae), (torch.randn(1, c, h, h),), os.path.join(folder, "vae_decoder", "model.onnx"),
                   ["latent_sample"], ["sample"],
                   {"latent_sample": {0: "batch_size", 2: "latent_height", 3: "latent_width"},
                    "sample": {0: "batch_size", 2: "height", 3: "width"}})
    pc.export_onnx(EncoderExport(vae), (torch.zeros(1, 3, 64, 64),), os.path.join(folder, "vae_encoder", "model.onnx"),
                   ["sample"], ["latent_parameters"],
                   {"sample": {0: "batch_size", 2: "height", 3: "width"},
                    "latent_parameters": {0: "batch_size", 2: "latent_height", 3: "latent_width"}})
    cfg = config_json(variant, vae, shift, scale)
    for sub in ("vae_decoder", "vae_encoder"):
        pc.write_json(os.path.join(folder, sub, "config.json"), cfg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--beta", type=float, default=1e-4, help="KL weight per latent element")
    ap.add_argument("--object-weight", type=float, default=4.0)
    ap.add_argument("--edge-weight", type=float, default=0.0,
                    help="L1 on image gradients (finite differences): penalises blurred edges, which the judge reads as "
                         "a larger, rounder object")
    ap.add_argument("--train-images", type=int, default=20000)
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--bench", action="store_true", help="time 5 steps and exit")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--out", default=pc.MODELS)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    if args.export_only:
        export(args.variant, args.out)
        return

    vae = TinyVae(VARIANTS[args.variant])
    print(f"vae {args.variant}: {pc.count_params(vae)} parameters", flush=True)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.lr, weight_decay=0.0)
    ckpt = os.path.join(pc.CKPT_DIR, f"vae_{args.variant}.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt) and not args.bench:
        state = torch.load(ckpt)
        vae.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        print(f"resumed at step {step}", flush=True)

    imgs, scenes = pc.render_split(args.train_images, "train")
    masks = pc.object_mask(imgs, scenes)
    rng = np.random.default_rng(SEED + step)
    timer = pc.Timer(elapsed)
    os.makedirs(pc.CKPT_DIR, exist_ok=True)

    def save(path: str, extra: dict | None = None) -> None:
        torch.save({"model": vae.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": timer.minutes() * 60,
                    "args": vars(args), **(extra or {})}, path)

    total = 5 if args.bench else args.steps
    while step < total:
        for g in opt.param_groups:
            g["lr"] = pc.lr_cosine(step, args.steps, args.lr, 50)
        idx = rng.integers(0, len(imgs), args.batch)
        x = pc.to_unit(imgs[idx])
        w = 1.0 + args.object_weight * torch.from_numpy(masks[idx]).unsqueeze(1)
        flip = torch.from_numpy(rng.random(args.batch) < 0.5)
        x = torch.where(flip.view(-1, 1, 1, 1), x.flip(-1), x)
        w = torch.where(flip.view(-1, 1, 1, 1), w.flip(-1), w)
        mean, logvar = vae.encode(x)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        rec = vae.decode(z)
        d = rec - x
        rec_loss = (w * (d.abs() + d * d)).mean()
        if args.edge_weight > 0:
            for dim in (-1, -2):
                rec_loss = rec_loss + args.edge_weight * (rec.diff(dim=dim) - x.diff(dim=dim)).abs().mean()
        kl = 0.5 * (mean ** 2 + logvar.exp() - 1.0 - logvar).mean()
        loss = rec_loss + args.beta * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 25 == 0 or args.bench:
            print(f"step {step} rec {float(rec_loss):.4f} kl {float(kl):.3f} lr {opt.param_groups[0]['lr']:.2e} "
                  f"{timer.minutes():.1f} min", flush=True)
        if not args.bench and (step % args.save_every == 0 or step == args.steps):
            save(ckpt)
    if args.bench:
        print(f"{timer.minutes() * 60 / 5:.2f} s/step")
        return
    vae.eval()
    metrics = evaluate(vae)
    shift, std = latent_stats(vae)
    scale = 1.0 / std
    if args.variant == "sd":
        # SD's convention: no shift; scaling_factor = 1 / std of the (uncentred) latents.
        _, raw_std = shift, float(np.sqrt(std ** 2 + shift ** 2))
        scale = 1.0 / raw_std
    print(f"latents mean {shift:.4f} std {std:.4f} -> scaling_factor {scale:.5f}", flush=True)
    print("metrics", json.dumps(metrics), flush=True)
    save(os.path.join(pc.CKPT_DIR, f"vae_{args.variant}_final.pt"),
         {"shift": shift, "scale": scale, "metrics": metrics, "train_minutes": round(timer.minutes(), 1)})
    export(args.variant, args.out)


if __name__ == "__main__":
    main()
