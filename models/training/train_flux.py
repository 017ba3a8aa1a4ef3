"""Trains the tiny T5 encoder and the tiny Flux transformer jointly (rectified flow) on Flux-VAE latents.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_flux.py            # train (resumes), then export
    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_flux.py --export-only

Needs checkpoints/vae_flux_final.pt (train_vae.py --variant flux) and checkpoints/tiny_clip_final.pt.
Per step: latents z = (sample - shift_factor) * scaling_factor (16x16x16), packed 2x2 -> [B,64,64]; sigma ~
logit-normal(0, 1) (SD3/Flux training); x_t = (1 - sigma) z + sigma noise; target v = noise - z; the transformer
gets timestep = sigma (it multiplies by 1000 inside, as Flux). Conditioning: T5 states of the caption (SentencePiece
ids + </s>, padded with 0 to --max-seq, no mask, trained jointly from scratch) as encoder_hidden_states, and the
frozen tiny-CLIP pooler_output as pooled_projections; 10% empty prompts (both encoders see ""), so true CFG works.
Sampling uses FlowMatchEulerDiscreteScheduler with shift 1.0 and no dynamic shifting (Flux-schnell's config).

Writes models/tiny-flux/{transformer,text_encoder,tokenizer,text_encoder_2,tokenizer_2,scheduler}/, model_index.json.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import sys
from typing import List, Sequence

import numpy as np
import sentencepiece as spm
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import part2_common as pc  # noqa: E402
import samplers  # noqa: E402
import world  # noqa: E402
from frozen_clip import FrozenClip  # noqa: E402
from tiny_flux import FluxConfig, T5Config, TinyFluxTransformer, TinyT5Encoder  # noqa: E402
from train_unet import copy_clip, encode_dataset  # noqa: E402
from train_vae import load_vae  # noqa: E402

SEED = 999
OUT = os.path.join(pc.MODELS, "tiny-flux")
T5_TOKENIZER = os.path.join(pc.MODELS, "tiny-t5", "tokenizer")
CAPTION_VARIANTS = 16
MAX_SEQ = 64


class T5Tokenizer:
    """SentencePiece ids + </s> (1), truncated to max_len - 1 + </s>, padded with <pad> (0); no BOS (T5)."""

    def __init__(self, folder: str = T5_TOKENIZER):
        self.sp = spm.SentencePieceProcessor(model_file=os.path.join(folder, "spiece.model"))

    def __call__(self, texts: Sequence[str], max_len: int = MAX_SEQ) -> torch.Tensor:
        rows = []
        for t in texts:
            ids = self.sp.encode(t)[: max_len - 1] + [1]
            rows.append(ids + [0] * (max_len - len(ids)))
        return torch.tensor(rows, dtype=torch.long)


class Model(torch.nn.Module):
    def __init__(self, t5: T5Config, flux: FluxConfig):
        super().__init__()
        self.t5 = TinyT5Encoder(t5)
        self.flux = TinyFluxTransformer(flux)


class TransformerExport(torch.nn.Module):
    def __init__(self, flux: TinyFluxTransformer):
        super().__init__()
        self.flux = flux

    def forward(self, hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids):
        return self.flux(hidden_states, encoder_hidden_states, pooled_projections, timestep, img_ids, txt_ids)


def t5_config_json(c: T5Config) -> dict:
    return {
        "architectures": ["T5EncoderModel"],
        "classifier_dropout": 0.0,
        "d_ff": c.d_ff,
        "d_kv": c.d_kv,
        "d_model": c.d_model,
        "decoder_start_token_id": 0,
        "dense_act_fn": "gelu_new",
        "dropout_rate": 0.0,
        "eos_token_id": 1,
        "feed_forward_proj": "gated-gelu",
        "initializer_factor": 1.0,
        "is_encoder_decoder": True,
        "is_gated_act": True,
        "layer_norm_epsilon": c.layer_norm_epsilon,
        "model_type": "t5",
        "num_decoder_layers": c.num_layers,
        "num_heads": c.num_heads,
        "num_layers": c.num_layers,
        "pad_token_id": 0,
        "relative_attention_max_distance": c.relative_attention_max_distance,
        "relative_attention_num_buckets": c.relative_attention_num_buckets,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "transformers_version": "4.44.0",
        "use_cache": False,
        "vocab_size": c.vocab_size,
    }


def transformer_config_json(c: FluxConfig) -> dict:
    return {
        "_class_name": "FluxTransformer2DModel",
        "_diffusers_version": pc.DIFFUSERS_VERSION,
        "attention_head_dim": c.attention_head_dim,
        "axes_dims_rope": list(c.axes_dims_rope),
        "guidance_embeds": c.guidance_embeds,
        "in_channels": c.in_channels,
        "joint_attention_dim": c.joint_attention_dim,
        "num_attention_heads": c.num_attention_heads,
        "num_layers": c.num_layers,
        "num_single_layers": c.num_single_layers,
        "out_channels": None,
        "patch_size": c.patch_size,
        "pooled_projection_dim": c.pooled_projection_dim,
        "_tiny_architecture": f"shapes-world tiny Flux; trained with T5 max_sequence_length {MAX_SEQ}; "
                              + (f"image tokens get an absolute position embedding from img_ids ({c.image_pos_freqs} "
                                 "frequencies per axis, inside the graph); " if c.image_pos_freqs else "")
                              + ("each block's image MLP has a depthwise 3x3 convolution over the token grid given by "
                                 "img_ids (image_conv); " if c.image_conv else "")
                              + "see models/training/tiny_flux.py",
    }


SCHEDULER_CONFIG = {
    "_class_name": "FlowMatchEulerDiscreteScheduler",
    "_diffusers_version": pc.DIFFUSERS_VERSION,
    "base_image_seq_len": 256,
    "base_shift": 0.5,
    "max_image_seq_len": 4096,
    "max_shift": 1.15,
    "num_train_timesteps": 1000,
    "shift": 1.0,
    # Re-noise the predicted x0 at each step (diffusers' option): the tiny transformer draws the prompted shape far
    # more often this way than with plain Euler steps (models/README.md, Quality).
    "stochastic_sampling": True,
    "use_dynamic_shifting": False,
}

MODEL_INDEX = {
    "_class_name": "FluxPipeline",
    "_diffusers_version": pc.DIFFUSERS_VERSION,
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "text_encoder": ["diffusers", "OnnxRuntimeModel"],
    "text_encoder_2": ["diffusers", "OnnxRuntimeModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "tokenizer_2": ["transformers", "T5TokenizerFast"],
    "transformer": ["diffusers", "OnnxRuntimeModel"],
    "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
    "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
}


def load_flux(path: str | None = None) -> Model:
    state = torch.load(path or os.path.join(pc.CKPT_DIR, "flux_final.pt"))
    fc = dict(state["flux_config"])
    fc["axes_dims_rope"] = tuple(fc["axes_dims_rope"])
    model = Model(T5Config(**state["t5_config"]), FluxConfig(**fc))
    model.load_state_dict(state["ema"])
    model.eval()
    return model


def export(out: str) -> None:
    model = load_flux()
    fc, tc = model.flux.cfg, model.t5.cfg
    tok = T5Tokenizer()
    ids = tok(["a red circle", "a blue star on the left"])
    pc.export_onnx(model.t5, (ids,), os.path.join(out, "text_encoder_2", "model.onnx"), ["input_ids"], ["last_hidden_state"],
                   {"input_ids": {0: "batch_size", 1: "sequence_length"}, "last_hidden_state": {0: "batch_size", 1: "sequence_length"}})
    pc.write_json(os.path.join(out, "text_encoder_2", "config.json"), t5_config_json(tc))
    vae, _, _ = load_vae("flux")
    lh = 64 // vae.down_factor
    args = (torch.randn(2, (lh // 2) ** 2, fc.in_channels), torch.randn(2, MAX_SEQ, fc.joint_attention_dim),
            torch.randn(2, fc.pooled_projection_dim), torch.tensor([1.0, 0.5]), samplers.img_ids(lh, lh), torch.zeros(MAX_SEQ, 3))
    pc.export_onnx(TransformerExport(model.flux), args, os.path.join(out, "transformer", "model.onnx"),
                   ["hidden_states", "encoder_hidden_states", "pooled_projections", "timestep", "img_ids", "txt_ids"],
                   ["out_hidden_states"],
                   {"hidden_states": {0: "batch_size", 1: "image_sequence_length"},
                    "encoder_hidden_states": {0: "batch_size", 1: "text_sequence_length"},
                    "pooled_projections": {0: "batch_size"}, "timestep": {0: "batch_size"},
                    "img_ids": {0: "image_sequence_length"}, "txt_ids": {0: "text_sequence_length"},
                    "out_hidden_states": {0: "batch_size", 1: "image_sequence_length"}})
    pc.write_json(os.path.join(out, "transformer", "config.json"), transformer_config_json(fc))
    pc.write_json(os.path.join(out, "scheduler", "scheduler_config.json"), SCHEDULER_CONFIG)
    pc.write_json(os.path.join(out, "model_index.json"), MODEL_INDEX)
    copy_clip(out)
    dst = os.path.join(out, "tokenizer_2")
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(T5_TOKENIZER, dst)
    with open(os.path.join(dst, "tokenizer_config.json"), encoding="utf-8") as f:
        tcfg = json.load(f)
    tcfg["model_max_length"] = MAX_SEQ  # the trained max_sequence_length
    pc.write_json(os.path.join(dst, "tokenizer_config.json"), tcfg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--train-images", type=int, default=20000)
    ap.add_argument("--uncond", type=float, default=0.1)
    ap.add_argument("--object-weight", type=float, default=2.0)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--save-every", type=int, default=200)
    ap.add_argument("--vae", help="VAE checkpoint (default checkpoints/vae_flux_final.pt)")
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
    tok = T5Tokenizer()
    vae, shift, scale = load_vae("flux", args.vae)
    c = vae.cfg.latent_channels
    model = Model(T5Config(vocab_size=tok.sp.get_piece_size()),
                  FluxConfig(in_channels=4 * c, pooled_projection_dim=clip.hidden))
    ema = copy.deepcopy(model).requires_grad_(False)
    print(f"t5: {pc.count_params(model.t5)} parameters, transformer: {pc.count_params(model.flux)}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    ckpt = os.path.join(pc.CKPT_DIR, "flux.pt")
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt) and not args.bench:
        state = torch.load(ckpt)
        model.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        print(f"resumed at step {step}", flush=True)

    n = 512 if args.bench else args.train_images
    imgs, scenes = pc.render_split(n, "train")
    h = 64 // vae.down_factor
    # Per-token object weight: a packed token covers a 2x2 latent patch = (2 * down)^2 pixels.
    m = F.max_pool2d(torch.from_numpy(pc.object_mask(imgs, scenes)).unsqueeze(1), 2 * vae.down_factor)
    obj_w = (1.0 + args.object_weight * m.flatten(1)).unsqueeze(-1)  # [n, N, 1]
    means, stds = encode_dataset(vae, imgs)
    del imgs
    ids_img = samplers.img_ids(h, h)
    ids_txt = torch.zeros(MAX_SEQ, 3)
    rng = np.random.default_rng(SEED + step)
    timer = pc.Timer(elapsed)

    def save(path: str, extra: dict | None = None) -> None:
        torch.save({"model": model.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step,
                    "elapsed": timer.minutes() * 60, "t5_config": vars(model.t5.cfg), "flux_config": vars(model.flux.cfg),
                    "shift": shift, "scale": scale, "args": vars(args), **(extra or {})}, path)

    total = 5 if args.bench else args.steps
    while step < total:
        for g in opt.param_groups:
            g["lr"] = pc.lr_cosine(step, args.steps, args.lr, 100)
        idx = rng.integers(0, n, args.batch)
        caps = [world.caption(scenes[i], int(rng.integers(CAPTION_VARIANTS))) for i in idx]
        caps = ["" if rng.random() < args.uncond else cap for cap in caps]
        _, pooled = clip.encode(caps)
        z = ((means[idx] + stds[idx] * torch.randn(args.batch, *means.shape[1:])) - shift) * scale
        x0 = samplers.pack(z)
        sigma = torch.sigmoid(torch.randn(args.batch))
        noise = torch.randn_like(x0)
        s = sigma.view(-1, 1, 1)
        x_t = (1 - s) * x0 + s * noise
        txt = model.t5(tok(caps))
        pred = model.flux(x_t, txt, pooled, sigma, ids_img, ids_txt)
        loss = (obj_w[idx] * (pred - (noise - x0)) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), model.parameters()):
                pe.mul_(d).add_(p.detach(), alpha=1 - d)
        if step % 25 == 0 or args.bench:
            print(f"step {step} loss {float(loss):.4f} lr {opt.param_groups[0]['lr']:.2e} {timer.minutes():.1f} min", flush=True)
        if not args.bench and (step % args.save_every == 0 or step == args.steps):
            save(ckpt)
    if args.bench:
        print(f"{timer.minutes() * 60 / 5:.2f} s/step")
        return
    save(os.path.join(pc.CKPT_DIR, "flux_final.pt"), {"train_minutes": round(timer.minutes(), 1)})
    print(f"training time {timer.minutes():.1f} min for {step} steps", flush=True)
    export(args.out)


if __name__ == "__main__":
    main()
