"""Measures prompt adherence of tiny-sd and tiny-flux with the pixel-statistics judge (judge_reference.py).

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/eval_quality.py sd   --steps 25 --cfg 5
    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/eval_quality.py flux --steps 20 --cfg 1

Prompts: "a {colour} {shape}" for all 8 x 4 colour/shape pairs, seeds 0..3 (torch.Generator().manual_seed(seed)
draws the initial latents [1,C,h,w]), so 128 images. tiny-sd: PNDM (PLMS) from its scheduler_config, CFG batch
[uncond "", text]. tiny-flux: FlowMatchEuler with Flux's sigmas, pooled CLIP + T5; cfg > 1 means "true CFG"
with the empty prompt as negative (a second pass), cfg = 1 the single distilled-style pass.
The PyTorch modules are the ones exported to ONNX (EMA weights). Writes a contact sheet and a JSON summary to
models/training/checkpoints/eval_<model>_*.{png,json}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import part2_common as pc  # noqa: E402
import samplers  # noqa: E402
import world  # noqa: E402
from frozen_clip import FrozenClip  # noqa: E402
from judge_reference import judge  # noqa: E402
from part2_common import binarize  # noqa: E402
from train_vae import load_vae  # noqa: E402


def judged(img: np.ndarray) -> dict:
    try:
        return judge(img)
    except Exception:  # an image without a visible object
        return {"colour": None, "shape": None}


def prompts_and_truth():
    out = []
    for colour in world.COLOURS:
        for shape in world.SHAPES:
            out.append((f"a {colour} {shape}", colour, shape))
    return out


def sd_generator(steps: int, cfg: float, sampler: str, checkpoint: str | None = None):
    from train_unet import load_unet
    unet = load_unet(checkpoint)
    vae, _, scale = load_vae("sd")
    clip = FrozenClip()
    h = unet.cfg.sample_size

    def generate(prompts, seeds):
        ctx, _ = clip.encode(prompts)
        unc, _ = clip.encode([""] * len(prompts))
        x = torch.cat([torch.randn(1, 4, h, h, generator=torch.Generator().manual_seed(s)) for s in seeds])

        def model(xin, t):
            tt = torch.full((2 * len(prompts),), t)
            e = unet(torch.cat([xin, xin]), tt, torch.cat([unc, ctx]))
            eu, ec = e.chunk(2)
            return eu + cfg * (ec - eu)
        with torch.no_grad():
            if sampler == "pndm":
                lat = samplers.pndm_sample(model, x, steps)
            else:
                lat = samplers.euler_sample(model, x, steps)
            return vae.decode(lat / scale)
    return generate


def flux_generator(steps: int, cfg: float, sampler: str, checkpoint: str | None = None):
    from train_flux import MAX_SEQ, T5Tokenizer, load_flux
    model = load_flux(checkpoint)
    vae, shift, scale = load_vae("flux")
    clip = FrozenClip()
    tok = T5Tokenizer()
    c = vae.cfg.latent_channels
    h = 64 // vae.down_factor
    ids_img, ids_txt = samplers.img_ids(h, h), torch.zeros(MAX_SEQ, 3)
    stochastic = sampler == "flow_stochastic"

    def generate(prompts, seeds):
        with torch.no_grad():
            _, pooled = clip.encode(prompts)
            txt = model.t5(tok(prompts))
            _, pooled_u = clip.encode([""] * len(prompts))
            txt_u = model.t5(tok([""] * len(prompts)))
            x = torch.cat([torch.randn(1, c, h, h, generator=torch.Generator().manual_seed(s)) for s in seeds])
            x = samplers.pack(x)

            def v(xin, sigma):
                t = torch.full((len(prompts),), sigma)
                vc = model.flux(xin, txt, pooled, t, ids_img, ids_txt)
                if cfg == 1.0:
                    return vc
                vu = model.flux(xin, txt_u, pooled_u, t, ids_img, ids_txt)
                return vu + cfg * (vc - vu)
            g = torch.Generator().manual_seed(1000 + seeds[0])
            lat = samplers.unpack(samplers.flow_sample(v, x, steps, shift=1.0, stochastic=stochastic, generator=g), h, h)
            return vae.decode(lat / scale + shift)
    return generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", choices=["sd", "flux"])
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--cfg", type=float, default=5.0)
    ap.add_argument("--sampler", default=None, help="sd: pndm (default) or euler; flux: flow_stochastic (default, as tiny-flux's scheduler config) or flow")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--checkpoint", help="default: checkpoints/unet_final.pt or flux_final.pt (EMA weights)")
    args = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    sampler = args.sampler or ("pndm" if args.model == "sd" else "flow_stochastic")
    gen = (sd_generator if args.model == "sd" else flux_generator)(args.steps, args.cfg, sampler, args.checkpoint)
    items = prompts_and_truth()
    timer = pc.Timer()
    rows, total = [], 0
    counts = {k: {"colour": 0, "shape": 0, "both": 0} for k in ("raw", "binarized")}
    per_shape = {s: [0, 0] for s in world.SHAPES}
    for seed in range(args.seeds):
        imgs = pc.to_uint8(gen([p for p, _, _ in items], [seed] * len(items)))
        rows.append(np.concatenate(list(imgs), axis=1))
        for img, (p, colour, shape) in zip(imgs, items):
            total += 1
            for kind, j in (("raw", judged(img)), ("binarized", judged(binarize(img)))):
                counts[kind]["colour"] += j["colour"] == colour
                counts[kind]["shape"] += j["shape"] == shape
                counts[kind]["both"] += j["colour"] == colour and j["shape"] == shape
            per_shape[shape][0] += j["shape"] == shape
            per_shape[shape][1] += 1
    tag = f"{args.model}_{sampler}{args.steps}_cfg{args.cfg:g}"
    sheet = np.concatenate(rows, axis=0)
    Image.fromarray(sheet).save(os.path.join(pc.CKPT_DIR, f"eval_{tag}.png"))
    res = {"model": args.model, "sampler": sampler, "steps": args.steps, "cfg": args.cfg, "images": total,
           **{f"{kind}_{k}_correct": round(100 * v / total, 1) for kind, c in counts.items() for k, v in c.items()},
           "binarized_shape_correct_by_shape": {s: round(100 * a / b, 1) for s, (a, b) in per_shape.items()},
           "minutes": round(timer.minutes(), 1)}
    print(json.dumps(res))
    pc.write_json(os.path.join(pc.CKPT_DIR, f"eval_{tag}.json"), res)


if __name__ == "__main__":
    main()
