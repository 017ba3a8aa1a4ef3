"""One-shot training of a whole tiny pipeline on a GPU within a wall-clock budget (the same models and losses as
train_vae.py / train_unet.py / train_flux.py, with larger batches and many more steps).

    python3 models/training/train_gpu.py sd   --budget 430 --out OUT    # VAE (4 ch) + UNet
    python3 models/training/train_gpu.py flux --budget 430 --out OUT    # VAE (16 ch) + T5 (distilled, then joint) + transformer

Both can run at the same time on one GPU (two processes). Each process
  1. renders --scenes training scenes and --variants captions per scene (multiprocessing), tokenized for
     CLIP (77, pad = EOS) and T5 (64, pad 0, `</s>`);
  2. trains the VAE for --vae-frac of the budget (loss of train_vae.py with the edge term), then measures the
     latent statistics for scaling_factor / shift_factor as train_vae.py does;
  3. trains the denoiser until the budget's end minus --eval-seconds, the learning rate following a cosine in
     *time* (so the run ends on schedule whatever the speed), with an EMA of the weights;
     tiny-flux first distils the tiny CLIP pooled vector into the T5 (mean of its states -> linear head) and keeps
     that loss at a small weight during joint training, so the T5 states carry shape and colour from the start;
  4. samples the 32 "a {colour} {shape}" prompts x 4 seeds (PNDM 25 steps / flow Euler 20 steps) and judges them
     with judge_reference.py (raw and binarized), at several guidance scales.
Outputs (overwritten every --save-every seconds and at the end, so a run killed at its limit still leaves weights):
  OUT/<tag>.npz        float32 arrays "vae.*", "unet.*" or "t5.*" / "flux.*" (EMA weights), and "meta" (JSON)
  OUT/<tag>.json       the meta: configs, VAE shift/scale, steps, timings, losses, metrics
import_gpu.py turns them into the checkpoints train_*.py --export-only reads. The frozen tiny CLIP is rebuilt from
models/tiny-clip/*.onnx (tiny_clip.load_from_onnx), so nothing but this repository is needed.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from multiprocessing import get_context

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_bpe  # noqa: E402
import part2_common as pc  # noqa: E402
import samplers  # noqa: E402
import world  # noqa: E402
from judge_reference import judge  # noqa: E402
from tiny_clip import load_from_onnx  # noqa: E402
from tiny_flux import FluxConfig, T5Config, TinyFluxTransformer, TinyT5Encoder  # noqa: E402
from tiny_unet import TinyUNet, UNetConfig  # noqa: E402
from tiny_vae import VARIANTS, TinyVae  # noqa: E402

CLIP_FOLDER = os.path.join(pc.MODELS, "tiny-clip")
T5_SPM = os.path.join(pc.MODELS, "tiny-t5", "tokenizer", "spiece.model")
MAX_SEQ = 64
START = time.time()
LOG: list = []


def log(msg: str) -> None:
    line = f"[{time.time() - START:6.1f}s] {msg}"
    LOG.append(line)
    print(line, flush=True)


# ------------------------------------------------------------------------------------------------------ data

_TOK = {}


def _prep_chunk(job):
    start, n, variants = job
    if "clip" not in _TOK:
        import sentencepiece as spm
        _TOK["clip"] = clip_bpe.ClipBpe.from_folder(os.path.join(CLIP_FOLDER, "tokenizer"))
        _TOK["t5"] = spm.SentencePieceProcessor(model_file=T5_SPM)
    scenes = world.scenes(n, "train", start=start)
    imgs = np.stack([world.render(s) for s in scenes])
    bg = np.array([s.background_rgb for s in scenes], dtype=np.int16)
    mask = (np.abs(imgs.astype(np.int16) - bg[:, None, None, :]).sum(-1) > 24).astype(np.uint8)
    clip_ids = np.zeros((n, variants, 77), np.int16)
    t5_ids = np.zeros((n, variants, MAX_SEQ), np.int16)
    for i, s in enumerate(scenes):
        for k in range(variants):
            cap = world.caption(s, k)
            clip_ids[i, k] = _TOK["clip"].encode_77(cap)
            ids = _TOK["t5"].encode(cap)[: MAX_SEQ - 1] + [1]
            t5_ids[i, k, : len(ids)] = ids
    return imgs, mask, clip_ids, t5_ids


def prepare(n: int, variants: int, workers: int):
    chunk = 1000
    jobs = [(s, min(chunk, n - s), variants) for s in range(0, n, chunk)]
    with get_context("fork").Pool(workers) as pool:
        parts = pool.map(_prep_chunk, jobs)
    return [np.concatenate([p[i] for p in parts]) for i in range(4)]


def empty_ids():
    import sentencepiece as spm
    tok = clip_bpe.ClipBpe.from_folder(os.path.join(CLIP_FOLDER, "tokenizer"))
    sp = spm.SentencePieceProcessor(model_file=T5_SPM)
    t5 = (sp.encode("")[: MAX_SEQ - 1] + [1])
    return (torch.tensor(tok.encode_77(""), dtype=torch.long),
            torch.tensor(t5 + [0] * (MAX_SEQ - len(t5)), dtype=torch.long), tok, sp)


# ---------------------------------------------------------------------------------------------------- helpers

def cosine_lr(base: float, step: int, frac: float, warmup: int) -> float:
    w = min(1.0, (step + 1) / warmup)
    return base * w * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, max(0.0, frac)))))


def ema_update(ema_params, params, step: int, decay: float) -> None:
    d = min(decay, (1 + step) / (10 + step))
    torch._foreach_mul_(ema_params, d)
    torch._foreach_add_(ema_params, params, alpha=1 - d)


def optimise(opt, loss: torch.Tensor, params, ema_params, step: int, decay: float) -> int:
    """One optimiser step of a denoiser (gradients clipped to norm 1), then the EMA update; returns the new step."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    ema_update(ema_params, params, step + 1, decay)
    return step + 1


def unit(imgs_u8: torch.Tensor) -> torch.Tensor:
    return imgs_u8.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def to_u8(x: torch.Tensor) -> np.ndarray:
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def judged(img: np.ndarray) -> dict:
    try:
        return judge(img)
    except Exception:
        return {"colour": None, "shape": None}


def score(images: np.ndarray, truth) -> dict:
    out = {}
    for kind in ("raw", "binarized"):
        c = s = b = 0
        for img, (colour, shape) in zip(images, truth):
            j = judged(pc.binarize(img) if kind == "binarized" else img)
            c += j["colour"] == colour
            s += j["shape"] == shape
            b += j["colour"] == colour and j["shape"] == shape
        n = len(truth)
        out[kind] = {"colour": round(100 * c / n, 1), "shape": round(100 * s / n, 1), "both": round(100 * b / n, 1)}
    return out


class Saver:
    def __init__(self, path: str, every: float):
        self.path, self.every, self.last = path, every, time.time()

    def due(self) -> bool:
        return time.time() - self.last >= self.every

    def save(self, arrays: dict, meta: dict) -> None:
        meta = {**meta, "log": LOG[-400:], "elapsed_s": round(time.time() - START, 1)}
        tmp = self.path + ".tmp.npz"
        np.savez(tmp, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(tmp, self.path + ".npz")
        with open(self.path + ".json", "w") as f:
            json.dump(meta, f, indent=1)
        self.last = time.time()


def state_arrays(prefix: str, module: torch.nn.Module) -> dict:
    return {f"{prefix}.{k}": v.detach().float().cpu().numpy() for k, v in module.state_dict().items()}


# ------------------------------------------------------------------------------------------------------- VAE

def train_vae(variant: str, imgs, masks, deadline: float, dev, args, meta) -> tuple:
    torch.manual_seed(4321)
    vae = TinyVae(VARIANTS[variant]).to(dev)
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, weight_decay=0.0)
    n, b = imgs.shape[0], args.vae_batch
    t0, step = time.time(), 0
    span = deadline - t0
    while time.time() < deadline:
        for g in opt.param_groups:
            g["lr"] = cosine_lr(args.vae_lr, step, (time.time() - t0) / span, 100)
        idx = torch.randint(0, n, (b,), device=dev)
        x = unit(imgs[idx])
        w = 1.0 + 4.0 * masks[idx].float().unsqueeze(1)
        flip = (torch.rand(b, device=dev) < 0.5).view(-1, 1, 1, 1)
        x = torch.where(flip, x.flip(-1), x)
        w = torch.where(flip, w.flip(-1), w)
        mean, logvar = vae.encode(x)
        z = mean + torch.randn_like(mean) * (0.5 * logvar).exp()
        rec = vae.decode(z)
        d = rec - x
        rec_loss = (w * (d.abs() + d * d)).mean()
        for dim in (-1, -2):
            rec_loss = rec_loss + (rec.diff(dim=dim) - x.diff(dim=dim)).abs().mean()
        kl = 0.5 * (mean ** 2 + logvar.exp() - 1.0 - logvar).mean()
        loss = rec_loss + 1e-4 * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 500 == 0:
            log(f"vae {variant} step {step} rec {float(rec_loss):.4f} kl {float(kl):.3f}")
    vae.eval()
    with torch.no_grad():
        # Latent statistics over 4096 training images (sampled latents), as train_vae.latent_stats.
        g = torch.Generator(device=dev).manual_seed(4321)
        zs = []
        for i in range(0, min(4096, n), 512):
            m, lv = vae.encode(unit(imgs[i:i + 512]))
            zs.append(m + torch.randn(m.shape, generator=g, device=dev) * (0.5 * lv).exp())
        z = torch.cat(zs)
        mean_, std_ = float(z.mean()), float(z.std())
        if variant == "sd":
            shift, scale = 0.0, 1.0 / math.sqrt(std_ ** 2 + mean_ ** 2)
        else:
            shift, scale = mean_, 1.0 / std_
        # Reconstruction quality on 300 held-out single-object scenes.
        val_imgs, val_scenes = pc.render_split(300, "val", objects=1)
        xv = unit(torch.from_numpy(val_imgs).to(dev))
        rec = vae.decode(vae.encode(xv)[0])
        psnr = 10 * math.log10(4.0 / float(((rec.clamp(-1, 1) - xv) ** 2).mean()))
        metrics = score(to_u8(rec), [(s.objects[0].colour, s.objects[0].shape) for s in val_scenes])
    meta["vae"] = {"variant": variant, "steps": step, "batch": b, "seconds": round(time.time() - t0, 1),
                   "latent_mean": mean_, "latent_std": std_, "shift": shift, "scale": scale, "psnr": round(psnr, 2),
                   "reconstructions": metrics}
    log(f"vae {variant}: {step} steps, psnr {psnr:.2f}, shift {shift:.5f} scale {scale:.5f}, {json.dumps(metrics)}")
    for p in vae.parameters():
        p.requires_grad_(False)
    return vae, shift, scale


def get_vae(variant: str, imgs, masks, deadline: float, dev, args, meta) -> tuple:
    """Trains the VAE, or takes it (weights, shift, scale, metrics) from an earlier run's npz (--vae-from)."""
    if not args.vae_from:
        return train_vae(variant, imgs, masks, deadline, dev, args, meta)
    with np.load(args.vae_from) as z:
        old = json.loads(str(z["meta"]))
        state = {k[4:]: torch.from_numpy(z[k].copy()) for k in z.files if k.startswith("vae.")}
    if old["vae"]["variant"] != variant:
        raise ValueError(f"{args.vae_from} holds a {old['vae']['variant']} VAE, not {variant}")
    vae = TinyVae(VARIANTS[variant])
    vae.load_state_dict(state)
    vae.to(dev).eval().requires_grad_(False)
    meta["vae"] = {**old["vae"], "from": os.path.basename(args.vae_from)}
    log(f"vae {variant} from {args.vae_from}: shift {old['vae']['shift']:.5f} scale {old['vae']['scale']:.5f}")
    return vae, old["vae"]["shift"], old["vae"]["scale"]


def encode_all(vae, imgs, dev):
    means, stds = [], []
    with torch.no_grad():
        for i in range(0, imgs.shape[0], 1024):
            m, lv = vae.encode(unit(imgs[i:i + 1024]))
            means.append(m)
            stds.append((0.5 * lv).exp())
    return torch.cat(means), torch.cat(stds)


# -------------------------------------------------------------------------------------------------------- sd

def run_sd(args, dev, data, clip, saver, meta):
    imgs, masks, clip_ids, _ = data
    start = time.time()
    end = START + args.budget
    vae_deadline = start + (0 if args.vae_from else args.vae_frac) * (end - start)
    vae, shift, scale = get_vae("sd", imgs, masks, vae_deadline, dev, args, meta)
    arrays = state_arrays("vae", vae)
    means, stds = encode_all(vae, imgs, dev)
    obj_w = 1.0 + 2.0 * F.max_pool2d(masks.float().unsqueeze(1), vae.down_factor)
    n, variants = clip_ids.shape[0], clip_ids.shape[1]
    empty_clip = args.empty_clip.to(dev)

    torch.manual_seed(777)
    cfg = UNetConfig(block_out_channels=(64, 96), cross_attention_dim=clip.text_config.hidden_size,
                     sample_size=64 // vae.down_factor)
    unet = TinyUNet(cfg).to(dev)
    ema = TinyUNet(cfg).to(dev)
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    params, ema_params = list(unet.parameters()), list(ema.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    ac = samplers.sd_alphas_cumprod().to(dev)
    snr = ac / (1 - ac)
    loss_w = torch.clamp(snr, max=5.0) / snr
    b = args.batch
    train_end = end - args.eval_seconds
    t0, step, losses = time.time(), 0, []
    meta["unet"] = {"config": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(cfg).items()}}
    while time.time() < train_end:
        for g in opt.param_groups:
            g["lr"] = cosine_lr(args.lr, step, (time.time() - t0) / (train_end - t0), 200)
        idx = torch.randint(0, n, (b,), device=dev)
        var = torch.randint(0, variants, (b,), device=dev)
        ids = clip_ids[idx, var].long()
        drop = torch.rand(b, device=dev) < 0.1
        ids = torch.where(drop.view(-1, 1), empty_clip.view(1, -1), ids)
        with torch.no_grad():
            ctx = clip.text_model(ids)[1]
        z = (means[idx] + stds[idx] * torch.randn_like(means[idx])) * scale
        t = torch.randint(0, 1000, (b,), device=dev)
        noise = torch.randn_like(z)
        a = ac[t].view(-1, 1, 1, 1)
        x_t = a.sqrt() * z + (1 - a).sqrt() * noise
        pred = unet(x_t, t.float(), ctx)
        loss = (loss_w[t].view(-1, 1, 1, 1) * obj_w[idx] * (pred - noise) ** 2).mean()
        step = optimise(opt, loss, params, ema_params, step, args.ema)
        if step % 250 == 0:
            losses.append(round(float(loss), 5))
            log(f"unet step {step} loss {losses[-1]} lr {opt.param_groups[0]['lr']:.2e}")
        if saver.due():
            meta["unet"].update(steps=step, batch=b, seconds=round(time.time() - t0, 1), losses=losses)
            saver.save({**arrays, **state_arrays("unet", ema)}, meta)
    meta["unet"].update(steps=step, batch=b, seconds=round(time.time() - t0, 1), losses=losses)
    log(f"unet: {step} steps x {b} in {time.time() - t0:.0f} s")
    saver.save({**arrays, **state_arrays("unet", ema)}, meta)

    # Evaluation: PNDM 25 steps, CFG batch [uncond, text], as eval_quality.py.
    ema.eval()
    items = [(f"a {c} {s}", c, s) for c in world.COLOURS for s in world.SHAPES]
    tok = args.clip_tok
    with torch.no_grad():
        ctx = clip.text_model(torch.tensor([tok.encode_77(p) for p, _, _ in items], device=dev))[1]
        unc = clip.text_model(empty_clip.view(1, -1).expand(len(items), -1))[1]
        results = {}
        for gs in args.sd_cfg:
            images, truth = [], []
            for seed in range(args.eval_seeds):
                x = torch.cat([torch.randn(1, 4, cfg.sample_size, cfg.sample_size,
                                           generator=torch.Generator().manual_seed(seed)) for _ in items]).to(dev)

                def model(xin, t):
                    e = ema(torch.cat([xin, xin]), torch.full((2 * len(items),), t, device=dev), torch.cat([unc, ctx]))
                    eu, ec = e.chunk(2)
                    return eu + gs * (ec - eu)
                lat = samplers.pndm_sample(model, x, 25)
                images.append(to_u8(vae.decode(lat / scale)))
                truth += [(c, s) for _, c, s in items]
            results[f"pndm25_cfg{gs:g}"] = score(np.concatenate(images), truth)
            log(f"sd cfg {gs}: {json.dumps(results[f'pndm25_cfg{gs:g}'])}")
    meta["quality"] = results
    saver.save({**arrays, **state_arrays("unet", ema)}, meta)


# ------------------------------------------------------------------------------------------------------ flux

class FluxModel(torch.nn.Module):
    def __init__(self, t5: T5Config, flux: FluxConfig):
        super().__init__()
        self.t5 = TinyT5Encoder(t5)
        self.flux = TinyFluxTransformer(flux)


def run_flux(args, dev, data, clip, saver, meta):
    imgs, masks, clip_ids, t5_ids = data
    start = time.time()
    end = START + args.budget
    vae_deadline = start + (0 if args.vae_from else args.vae_frac) * (end - start)
    vae, shift, scale = get_vae("flux", imgs, masks, vae_deadline, dev, args, meta)
    arrays = state_arrays("vae", vae)
    means, stds = encode_all(vae, imgs, dev)
    h = 64 // vae.down_factor
    m = F.max_pool2d(masks.float().unsqueeze(1), 2 * vae.down_factor)
    obj_w = (1.0 + 2.0 * m.flatten(1)).unsqueeze(-1)
    n, variants = clip_ids.shape[0], clip_ids.shape[1]
    empty_clip, empty_t5 = args.empty_clip.to(dev), args.empty_t5.to(dev)
    hidden = clip.text_config.hidden_size

    torch.manual_seed(999)
    c = vae.cfg.latent_channels
    t5c = T5Config(vocab_size=args.t5_vocab)
    fc = FluxConfig(in_channels=4 * c, pooled_projection_dim=hidden, num_layers=args.double, num_single_layers=args.single,
                    image_pos_freqs=args.pos_freqs, image_conv=args.conv)
    model = FluxModel(t5c, fc).to(dev)
    ema = FluxModel(t5c, fc).to(dev)
    head = torch.nn.Linear(t5c.d_model, hidden).to(dev)
    ids_img, ids_txt = samplers.img_ids(h, h).to(dev), torch.zeros(MAX_SEQ, 3, device=dev)

    def batch_ids(b):
        idx = torch.randint(0, n, (b,), device=dev)
        var = torch.randint(0, variants, (b,), device=dev)
        cid, tid = clip_ids[idx, var].long(), t5_ids[idx, var].long()
        drop = (torch.rand(b, device=dev) < 0.1).view(-1, 1)
        return idx, torch.where(drop, empty_clip.view(1, -1), cid), torch.where(drop, empty_t5.view(1, -1), tid)

    def distill_loss(tid, pooled):
        states = model.t5(tid)
        keep = (tid != 0).float().unsqueeze(-1)
        mean = (states * keep).sum(1) / keep.sum(1).clamp(min=1)
        return F.mse_loss(head(mean), pooled) / pooled.var().clamp(min=1e-6)

    if args.init:
        # Continue from an earlier run's EMA weights (fine-tuning): no distillation phase, no distillation loss.
        # Parts the earlier run did not have (--conv's zero-initialised grid convolutions) start from their init.
        with np.load(args.init) as z:
            missing, unexpected = model.load_state_dict(
                {k[6:]: torch.from_numpy(z[k].copy()) for k in z.files if k.startswith("model.")}, strict=False)
        if unexpected or any(not k.endswith("conv.weight") for k in missing):
            raise ValueError(f"{args.init} does not fit this model: missing {missing}, unexpected {unexpected}")
        log(f"initialised from {args.init}" + (f" (new: {', '.join(missing)})" if missing else ""))
    # Phase 1: distil the CLIP pooled vector into the T5 (its states, mean-pooled, through a linear head).
    opt = torch.optim.AdamW(list(model.t5.parameters()) + list(head.parameters()), lr=1e-3, weight_decay=0.01)
    t0, step, loss = time.time(), 0, torch.zeros(())
    d_end = t0 + (0 if args.init else args.distill_frac) * (end - t0)
    while time.time() < d_end:
        for g in opt.param_groups:
            g["lr"] = cosine_lr(1e-3, step, (time.time() - t0) / (d_end - t0), 100)
        _, cid, tid = batch_ids(args.batch)
        with torch.no_grad():
            pooled = clip.text_model(cid)[2]
        loss = distill_loss(tid, pooled)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        if step % 250 == 0:
            log(f"t5 distill step {step} loss {float(loss):.4f}")
    meta["t5_distill"] = {"steps": step, "seconds": round(time.time() - t0, 1), "final_loss": round(float(loss), 5)}
    log(f"t5 distill: {step} steps, loss {float(loss):.4f}")

    # Phase 2: joint rectified-flow training (+ 0.1 x the distillation loss).
    ema.load_state_dict(model.state_dict())
    ema.requires_grad_(False)
    if args.freeze_t5:
        model.t5.requires_grad_(False)
    # Only trained parameters get an EMA: a frozen part keeps its exact weights (EMA arithmetic drifts them by ~1e-6).
    pairs = [(p, e) for p, e in zip(model.parameters(), ema.parameters()) if p.requires_grad]
    params, ema_params = [p for p, _ in pairs], [e for _, e in pairs]
    # Grid convolutions start at zero: with --init they get --conv-lr-scale times the learning rate.
    conv = [p for k, p in model.named_parameters() if k.endswith("conv.weight")]
    rest = [p for k, p in model.named_parameters() if p.requires_grad and not k.endswith("conv.weight")]
    scale_of = [1.0, args.conv_lr_scale if args.init else 1.0]
    opt = torch.optim.AdamW([{"params": rest + list(head.parameters())}, {"params": conv}], lr=args.lr, weight_decay=0.01)
    b = args.batch
    train_end = end - args.eval_seconds
    t0, step, losses = time.time(), 0, []
    meta["flux"] = {"t5_config": vars(t5c), "flux_config": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(fc).items()}}
    while time.time() < train_end:
        for g, k in zip(opt.param_groups, scale_of):
            g["lr"] = k * cosine_lr(args.lr, step, (time.time() - t0) / (train_end - t0), 200)
        idx, cid, tid = batch_ids(b)
        with torch.no_grad():
            pooled = clip.text_model(cid)[2]
        z = ((means[idx] + stds[idx] * torch.randn_like(means[idx])) - shift) * scale
        x0 = samplers.pack(z)
        sigma = torch.sigmoid(torch.randn(b, device=dev))
        noise = torch.randn_like(x0)
        s = sigma.view(-1, 1, 1)
        x_t = (1 - s) * x0 + s * noise
        with torch.set_grad_enabled(not args.freeze_t5):
            txt = model.t5(tid)
        keep = (tid != 0).float().unsqueeze(-1)
        dl = F.mse_loss(head((txt * keep).sum(1) / keep.sum(1).clamp(min=1)), pooled) / pooled.var().clamp(min=1e-6)
        pred = model.flux(x_t, txt, pooled, sigma, ids_img, ids_txt)
        flow = (obj_w[idx] * (pred - (noise - x0)) ** 2).mean()
        loss = flow + args.distill_weight * dl
        step = optimise(opt, loss, params, ema_params, step, args.ema)
        if step % 250 == 0:
            losses.append([round(float(flow), 5), round(float(dl), 5)])
            log(f"flux step {step} flow {losses[-1][0]} distill {losses[-1][1]} lr {opt.param_groups[0]['lr']:.2e}")
        if saver.due():
            meta["flux"].update(steps=step, batch=b, seconds=round(time.time() - t0, 1), losses=losses)
            saver.save({**arrays, **state_arrays("model", ema)}, meta)
    meta["flux"].update(steps=step, batch=b, seconds=round(time.time() - t0, 1), losses=losses)
    log(f"flux: {step} steps x {b} in {time.time() - t0:.0f} s")
    saver.save({**arrays, **state_arrays("model", ema)}, meta)

    # Evaluation: flow Euler 20 steps (shift 1), plain and stochastic_sampling, single pass and true CFG with "" as negative.
    ema.eval()
    items = [(f"a {c} {s}", c, s) for c in world.COLOURS for s in world.SHAPES]
    tok, sp = args.clip_tok, args.t5_sp
    with torch.no_grad():
        cid = torch.tensor([tok.encode_77(p) for p, _, _ in items], device=dev)
        rows = [sp.encode(p)[: MAX_SEQ - 1] + [1] for p, _, _ in items]
        tid = torch.tensor([r + [0] * (MAX_SEQ - len(r)) for r in rows], device=dev)
        pooled = clip.text_model(cid)[2]
        txt = ema.t5(tid)
        pooled_u = clip.text_model(empty_clip.view(1, -1).expand(len(items), -1))[2]
        txt_u = ema.t5(empty_t5.view(1, -1).expand(len(items), -1))
        results = {}
        for gs in args.flux_cfg:
            images, truth = {False: [], True: []}, []
            for seed in range(args.eval_seeds):
                x = torch.cat([torch.randn(1, c, h, h, generator=torch.Generator().manual_seed(seed)) for _ in items])
                x = samplers.pack(x).to(dev)

                def v(xin, sig):
                    t = torch.full((len(items),), sig, device=dev)
                    vc = ema.flux(xin, txt, pooled, t, ids_img, ids_txt)
                    if gs == 1.0:
                        return vc
                    vu = ema.flux(xin, txt_u, pooled_u, t, ids_img, ids_txt)
                    return vu + gs * (vc - vu)
                for stochastic in (False, True):
                    g = torch.Generator().manual_seed(1000 + seed)
                    lat = samplers.unpack(samplers.flow_sample(v, x, 20, shift=1.0, stochastic=stochastic, generator=g), h, h)
                    images[stochastic].append(to_u8(vae.decode(lat / scale + shift)))
                truth += [(col, s) for _, col, s in items]
            for stochastic, name in ((False, f"flow20_cfg{gs:g}"), (True, f"flow20_stochastic_cfg{gs:g}")):
                results[name] = score(np.concatenate(images[stochastic]), truth)
                log(f"flux {name}: {json.dumps(results[name])}")
    meta["quality"] = results
    saver.save({**arrays, **state_arrays("model", ema)}, meta)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pipeline", choices=["sd", "flux"])
    ap.add_argument("--tag", help="output name (default: the pipeline), to run variants side by side")
    ap.add_argument("--budget", type=float, default=430, help="seconds from start to the end of the evaluation")
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda", help="cuda or cpu (a smoke test)")
    ap.add_argument("--scenes", type=int, default=40000)
    ap.add_argument("--variants", type=int, default=8)
    ap.add_argument("--workers", type=int, default=7)
    ap.add_argument("--vae-frac", type=float, default=0.25, help="share of the budget for the VAE")
    ap.add_argument("--distill-frac", type=float, default=0.08, help="flux: share of what is left for T5 distillation")
    ap.add_argument("--init", help="flux: start from an earlier run's npz (its EMA weights) instead of from scratch")
    ap.add_argument("--distill-weight", type=float, default=0.1, help="flux: weight of the T5 distillation loss in joint training")
    ap.add_argument("--vae-from", help="take the VAE from an earlier run's npz instead of training one")
    ap.add_argument("--double", type=int, default=2, help="flux: double-stream blocks")
    ap.add_argument("--single", type=int, default=2, help="flux: single-stream blocks")
    ap.add_argument("--pos-freqs", type=int, default=0, help="flux: image position embedding frequencies (tiny_flux.FluxConfig)")
    ap.add_argument("--conv", action="store_true", help="flux: depthwise 3x3 grid convolutions in the blocks' MLPs (tiny_flux.FluxConfig.image_conv)")
    ap.add_argument("--conv-lr-scale", type=float, default=5.0, help="flux with --init: learning-rate factor of the new grid convolutions")
    ap.add_argument("--freeze-t5", action="store_true", help="flux: keep the T5 as it is (fine-tuning the transformer only)")
    ap.add_argument("--vae-batch", type=int, default=128)
    ap.add_argument("--vae-lr", type=float, default=2e-3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--eval-seconds", type=float, default=45)
    ap.add_argument("--eval-seeds", type=int, default=4)
    ap.add_argument("--save-every", type=float, default=60)
    ap.add_argument("--sd-cfg", type=float, nargs="*", default=[3.0, 5.0, 7.5])
    ap.add_argument("--flux-cfg", type=float, nargs="*", default=[1.0, 3.0])
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    dev = torch.device(args.device)
    if dev.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    meta = {"pipeline": args.pipeline, "args": dict(vars(args)), "torch": torch.__version__}
    saver = Saver(os.path.join(args.out, args.tag or args.pipeline), args.save_every)
    t = time.time()
    imgs, masks, clip_ids, t5_ids = prepare(args.scenes, args.variants, args.workers)
    args.empty_clip, args.empty_t5, args.clip_tok, args.t5_sp = empty_ids()
    args.t5_vocab = args.t5_sp.get_piece_size()
    meta["data"] = {"scenes": int(imgs.shape[0]), "variants": args.variants, "seconds": round(time.time() - t, 1)}
    log(f"data: {imgs.shape[0]} scenes x {args.variants} captions in {time.time() - t:.1f} s")
    # CUDA is first touched here, after the data workers were forked.
    meta["device"] = torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu"
    clip = load_from_onnx(CLIP_FOLDER).to(dev)
    clip.requires_grad_(False)
    data = (torch.from_numpy(imgs).to(dev), torch.from_numpy(masks).to(dev),
            torch.from_numpy(clip_ids).to(dev), torch.from_numpy(t5_ids).to(dev))
    try:
        (run_sd if args.pipeline == "sd" else run_flux)(args, dev, data, clip, saver, meta)
    except Exception as e:  # keep what was saved; say why it stopped
        import traceback
        log("FAILED: " + "".join(traceback.format_exception(type(e), e, e.__traceback__)))
        meta["error"] = repr(e)
        with open(saver.path + ".json", "w") as f:
            json.dump({**meta, "log": LOG}, f, indent=1)
        raise
    log("done")


if __name__ == "__main__":
    main()
