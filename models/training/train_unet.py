"""Trains the tiny-sd UNet (epsilon prediction, SD1.5's DDPM schedule) on VAE latents of shapes-world images.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_unet.py            # train (resumes), then export
    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_unet.py --export-only

Needs models/training/checkpoints/vae_sd_final.pt (train_vae.py --variant sd) and tiny_clip_final.pt (train_clip.py,
copied from the `models` branch's checkpoints). Conditioning: the frozen tiny-CLIP `last_hidden_state` of a
caption re-drawn every step (world.caption, 16 variants per scene), tokenized to 77 with pad = EOS; 10% of
captions are replaced by "" so classifier-free guidance works. Noise: DDPM scaled_linear betas 0.00085..0.012,
1000 steps, t uniform; loss = min-SNR-5 weighted epsilon MSE, object latents weighted 3x. The exported weights
are an EMA of the training weights.

Writes models/tiny-sd/{unet,text_encoder,tokenizer,scheduler}/ and model_index.json (vae_* come from train_vae.py).
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import part2_common as pc  # noqa: E402
import samplers  # noqa: E402
import world  # noqa: E402
from frozen_clip import FrozenClip  # noqa: E402
from tiny_unet import TinyUNet, UNetConfig, UNetExport  # noqa: E402
from train_vae import load_vae  # noqa: E402

SEED = 777
OUT = os.path.join(pc.MODELS, "tiny-sd")
CAPTION_VARIANTS = 16


def encode_dataset(vae, imgs: np.ndarray, batch: int = 500) -> tuple:
    means, stds = [], []
    with torch.no_grad():
        for i in range(0, len(imgs), batch):
            m, lv = vae.encode(pc.to_unit(imgs[i:i + batch]))
            means.append(m)
            stds.append((0.5 * lv).exp())
    return torch.cat(means), torch.cat(stds)


def latent_object_weight(masks: np.ndarray, factor: int, weight: float) -> torch.Tensor:
    m = F.max_pool2d(torch.from_numpy(masks).unsqueeze(1), factor)
    return 1.0 + weight * m


def unet_config_json(cfg: UNetConfig) -> dict:
    n = len(cfg.block_out_channels)
    return {
        "_class_name": "UNet2DConditionModel",
        "_diffusers_version": pc.DIFFUSERS_VERSION,
        "act_fn": "silu",
        "attention_head_dim": [c // cfg.attention_head_dim for c in cfg.block_out_channels],
        "block_out_channels": list(cfg.block_out_channels),
        "center_input_sample": False,
        "cross_attention_dim": cfg.cross_attention_dim,
        "down_block_types": ["CrossAttnDownBlock2D" if a else "DownBlock2D" for a in cfg.attention_levels],
        "downsample_padding": 1,
        "flip_sin_to_cos": True,
        "freq_shift": 0,
        "in_channels": cfg.in_channels,
        "layers_per_block": cfg.layers_per_block,
        "mid_block_scale_factor": 1,
        "norm_eps": 1e-05,
        "norm_num_groups": cfg.norm_num_groups,
        "out_channels": cfg.out_channels,
        "sample_size": cfg.sample_size,
        "up_block_types": ["CrossAttnUpBlock2D" if a else "UpBlock2D" for a in reversed(cfg.attention_levels)],
        "_tiny_architecture": "shapes-world tiny UNet: one transformer block per resnet, GEGLU feed-forward, "
                              "linear proj_in/proj_out; see models/training/tiny_unet.py",
    }


SCHEDULER_CONFIG = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": pc.DIFFUSERS_VERSION,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "clip_sample": False,
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "trained_betas": None,
}

MODEL_INDEX = {
    "_class_name": "OnnxStableDiffusionPipeline",
    "_diffusers_version": pc.DIFFUSERS_VERSION,
    "feature_extractor": [None, None],
    "requires_safety_checker": False,
    "safety_checker": [None, None],
    "scheduler": ["diffusers", "PNDMScheduler"],
    "text_encoder": ["diffusers", "OnnxRuntimeModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "OnnxRuntimeModel"],
    "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
    "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
}


def load_unet(path: str | None = None) -> TinyUNet:
    state = torch.load(path or os.path.join(pc.CKPT_DIR, "unet_final.pt"))
    unet = TinyUNet(UNetConfig(**state["config"]))
    unet.load_state_dict(state["ema"])
    unet.eval()
    return unet


def export(out: str) -> None:
    unet = load_unet()
    cfg = unet.cfg
    h = cfg.sample_size
    pc.export_onnx(UNetExport(unet), (torch.randn(2, 4, h, h), torch.tensor([999.0, 1.0]), torch.randn(2, 77, cfg.cross_attention_dim)),
                   os.path.join(out, "unet", "model.onnx"), ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                   {"sample": {0: "batch_size", 2: "height", 3: "width"}, "timestep": {0: "batch_size"},
                    "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
                    "out_sample": {0: "batch_size", 2: "height", 3: "width"}})
    pc.write_json(os.path.join(out, "unet", "config.json"), unet_config_json(cfg))
    pc.write_json(os.path.join(out, "scheduler", "scheduler_config.json"), SCHEDULER_CONFIG)
    pc.write_json(os.path.join(out, "model_index.json"), MODEL_INDEX)
    copy_clip(out)


def copy_clip(out: str) -> None:
    """text_encoder (ONNX + config) and tokenizer, copied from models/tiny-clip."""
    clip = os.path.join(pc.MODELS, "tiny-clip")
    for sub in ("text_encoder", "tokenizer"):
        src = os.path.join(clip, sub)
        if not os.path.isdir(src):
            print(f"warning: {src} missing (merge the `models` branch first)")
            continue
        dst = os.path.join(out, sub)
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)
        print(f"copied tiny-clip/{sub} -> {os.path.relpath(dst, pc.MODELS)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-4)
    ap.add_argument("--channels", default="64,96")
    ap.add_argument("--train-images", type=int, default=20000)
    ap.add_argument("--uncond", type=float, default=0.1, help="empty-prompt dropout")
    ap.add_argument("--object-weight", type=float, default=2.0)
    ap.add_argument("--min-snr", type=float, default=5.0)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--vae", help="VAE checkpoint (default checkpoints/vae_sd_final.pt)")
    ap.add_argument("--clip", default=None, help="tiny CLIP checkpoint (default checkpoints/tiny_clip_final.pt)")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    if args.export_only:
        export(args.out)
        return

    clip = FrozenClip(args.clip) if args.clip else FrozenClip()
    vae, shift, scale = load_vae("sd", args.vae)
    cfg = UNetConfig(block_out_channels=tuple(int(c) for c in args.channels.split(",")),
                     cross_attention_dim=clip.hidden, sample_size=64 // vae.down_factor)
    unet = TinyUNet(cfg)
    ema = copy.deepcopy(unet).requires_grad_(False)
    print(f"unet: {pc.count_params(unet)} parameters", flush=True)
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.01)
    ckpt = os.path.join(pc.CKPT_DIR, "unet.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt) and not args.bench:
        state = torch.load(ckpt)
        unet.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        print(f"resumed at step {step}", flush=True)

    n = 512 if args.bench else args.train_images
    imgs, scenes = pc.render_split(n, "train")
    obj_w = latent_object_weight(pc.object_mask(imgs, scenes), vae.down_factor, args.object_weight)
    means, stds = encode_dataset(vae, imgs)
    del imgs
    ac = samplers.sd_alphas_cumprod()
    snr = ac / (1 - ac)
    loss_w = torch.clamp(snr, max=args.min_snr) / snr
    rng = np.random.default_rng(SEED + step)
    timer = pc.Timer(elapsed)

    def save(path: str, extra: dict | None = None) -> None:
        torch.save({"model": unet.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": timer.minutes() * 60, "config": vars(cfg), "args": vars(args), **(extra or {})}, path)

    total = 5 if args.bench else args.steps
    while step < total:
        for g in opt.param_groups:
            g["lr"] = pc.lr_cosine(step, args.steps, args.lr, 100)
        idx = rng.integers(0, n, args.batch)
        caps = [world.caption(scenes[i], int(rng.integers(CAPTION_VARIANTS))) for i in idx]
        caps = ["" if rng.random() < args.uncond else c for c in caps]
        ctx, _ = clip.encode(caps)
        z = (means[idx] + stds[idx] * torch.randn(args.batch, *means.shape[1:])) * scale
        t = torch.from_numpy(rng.integers(0, samplers.T, args.batch))
        noise = torch.randn_like(z)
        a = ac[t].view(-1, 1, 1, 1)
        x_t = a.sqrt() * z + (1 - a).sqrt() * noise
        pred = unet(x_t, t.float(), ctx)
        loss = (loss_w[t].view(-1, 1, 1, 1) * obj_w[idx] * (pred - noise) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        step += 1
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), unet.parameters()):
                pe.mul_(d).add_(p.detach(), alpha=1 - d)
        if step % 25 == 0 or args.bench:
            print(f"step {step} loss {float(loss):.4f} lr {opt.param_groups[0]['lr']:.2e} {timer.minutes():.1f} min", flush=True)
        if not args.bench and (step % args.save_every == 0 or step == args.steps):
            save(ckpt)
    if args.bench:
        print(f"{timer.minutes() * 60 / 5:.2f} s/step")
        return
    save(os.path.join(pc.CKPT_DIR, "unet_final.pt"), {"train_minutes": round(timer.minutes(), 1)})
    print(f"training time {timer.minutes():.1f} min for {step} steps", flush=True)
    export(args.out)


if __name__ == "__main__":
    main()
