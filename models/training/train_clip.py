"""Trains the tiny CLIP on the shapes world (contrastive, learned logit scale) and evaluates it zero-shot.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_clip.py            # train (resumes if a checkpoint exists)
    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/train_clip.py --eval     # zero-shot numbers of the saved model

Checkpoints go to models/training/checkpoints/tiny_clip.pt (git-ignored) every --save-every steps; the run is
deterministic (fixed seeds, one thread, batches and captions drawn from (seed, step)), so a resumed run continues
the same trajectory. The final weights are written to models/training/checkpoints/tiny_clip_final.pt for
export_clip.py.

Targets are multi-positive: a caption is a positive for every image in the batch it truthfully describes
("a red shape" matches every single red object), which removes the false negatives that partial captions
would otherwise create in a batch.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_bpe  # noqa: E402
import world  # noqa: E402
from tiny_clip import TextConfig, TinyClip, VisionConfig  # noqa: E402

MODELS = os.path.dirname(HERE)
TOKENIZER = os.path.join(MODELS, "tiny-clip", "tokenizer")
CKPT_DIR = os.path.join(HERE, "checkpoints")
SEED = 1234

ATTRS = ("shape", "colour", "size", "position")
VOCABS = {"shape": world.SHAPES, "colour": world.COLOURS, "size": world.SIZES, "position": world.POSITIONS}

# Zero-shot prompt templates (ensembled, as CLIP does); {} is the class phrase.
POSITION_PHRASES = {p: world._POSITION_PHRASES[p] for p in world.POSITIONS}
TEMPLATES = {
    "colour": ["a {} shape", "a photo of a {} object", "an image of a {} shape"],
    "shape": ["a {}", "a photo of a {}", "there is a {}"],
    "size": ["a {} shape", "a photo of a {} object"],
    "position": ["a shape {}", "a photo of an object {}", "there is a shape {}"],
    "background": ["a shape, {} background", "an object on a {} background"],
}


def class_prompts(attr: str, value: str) -> List[str]:
    if attr == "position":
        return [t.format(p) for t in TEMPLATES[attr] for p in POSITION_PHRASES[value]]
    return [t.format(value) for t in TEMPLATES[attr]]


class Data:
    """Pre-rendered train images plus vectorised attributes for the consistency matrix."""

    def __init__(self, n: int, split: str = "train", objects=None):
        self.scenes = world.scenes(n, split, objects=objects)
        self.images = torch.from_numpy(np.stack([world.render(s) for s in self.scenes]))  # [N,64,64,3] uint8
        self.count = np.array([len(s.objects) for s in self.scenes])
        self.bg = np.array([world.BACKGROUNDS.index(s.background) for s in self.scenes])
        # obj[a][k] = index of attribute a of object k (object 1 repeats object 0 for single-object scenes)
        self.obj = {a: np.array([[VOCABS[a].index(getattr(s.objects[min(k, len(s.objects) - 1)], a)) for k in (0, 1)]
                                 for s in self.scenes]) for a in ATTRS}
        self.by_key: Dict[tuple, List[int]] = {}
        for i, s in enumerate(self.scenes):
            if len(s.objects) == 1:
                self.by_key.setdefault(self.key(i), []).append(i)

    def key(self, i: int) -> tuple:
        return (int(self.bg[i]),) + tuple(int(self.obj[a][i, 0]) for a in ATTRS)

    def batch(self, rng: np.random.Generator, size: int, hard: float) -> np.ndarray:
        """Random images, plus (fraction ``hard``) single-object near-duplicates of them that differ in exactly
        one of shape/colour/size/position, so every batch holds negatives that only that attribute separates."""
        n_hard = int(size * hard) // 2
        idx = list(rng.choice(len(self.scenes), size=size, replace=False))
        singles = [i for i in idx if self.count[i] == 1]
        out, used = [], set()
        for anchor in singles[:n_hard]:
            k = list(self.key(anchor))
            a = int(rng.integers(len(ATTRS)))
            choices = [v for v in range(len(VOCABS[ATTRS[a]])) if v != k[1 + a]]
            k[1 + a] = choices[int(rng.integers(len(choices)))]
            pool = [j for j in self.by_key.get(tuple(k), []) if j not in used and j not in idx]
            if pool:
                j = pool[int(rng.integers(len(pool)))]
                out.append(j)
                used.add(j)
        return np.array(idx[: size - len(out)] + out)


def spec_arrays(specs: Sequence[dict]) -> Tuple[np.ndarray, np.ndarray, Dict[str, np.ndarray]]:
    count = np.array([s["count"] for s in specs])
    bg = np.array([-1 if s["background"] is None else world.BACKGROUNDS.index(s["background"]) for s in specs])
    obj = {a: np.array([[VOCABS[a].index(s["objects"][min(k, len(s["objects"]) - 1)][a])
                         if a in s["objects"][min(k, len(s["objects"]) - 1)] else -1 for k in (0, 1)]
                        for s in specs]) for a in ATTRS}
    return count, bg, obj


def consistency(specs: Sequence[dict], data: Data, idx: np.ndarray) -> np.ndarray:
    """M[i, j] = caption i truthfully describes image idx[j] (vectorised world.consistent)."""
    count, bg, obj = spec_arrays(specs)
    m = (count[:, None] == data.count[idx][None, :]) & ((bg[:, None] < 0) | (bg[:, None] == data.bg[idx][None, :]))

    def match(ck: int, ok: int) -> np.ndarray:
        r = np.ones_like(m)
        for a in ATTRS:
            c = obj[a][:, ck][:, None]
            r &= (c < 0) | (c == data.obj[a][idx, ok][None, :])
        return r

    two = data.count[idx][None, :] == 2
    single = match(0, 0)
    pair = (match(0, 0) & match(1, 1)) | (match(0, 1) & match(1, 0))
    return m & np.where(two, pair, single)


def pixel_stats(images: torch.Tensor) -> Tuple[List[float], List[float]]:
    x = images[:4000].float().div(255)
    mean = x.mean(dim=(0, 1, 2))
    std = x.std(dim=(0, 1, 2))
    return [round(float(v), 4) for v in mean], [round(float(v), 4) for v in std]


def to_pixels(images_uint8: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """uint8 [B,H,W,3] -> normalised float [B,3,H,W], exactly what CLIPImageProcessor does at native size."""
    x = images_uint8.float().permute(0, 3, 1, 2) * (1 / 255)
    m = torch.tensor(mean).view(1, 3, 1, 1)
    s = torch.tensor(std).view(1, 3, 1, 1)
    return (x - m) / s


def tokenize(tok: clip_bpe.ClipBpe, texts: Sequence[str], length: int) -> torch.Tensor:
    rows = []
    for t in texts:
        ids = tok.encode_77(t)[:length]
        if tok.eos_id not in ids:
            ids[-1] = tok.eos_id
        rows.append(ids)
    return torch.tensor(rows, dtype=torch.long)


@torch.no_grad()
def zero_shot(model: TinyClip, tok: clip_bpe.ClipBpe, mean, std, n: int = 1000, split: str = "test") -> Dict[str, float]:
    model.eval()
    data = Data(n, split, objects=1)
    feats = []
    for k in range(0, n, 250):
        feats.append(F.normalize(model.encode_image(to_pixels(data.images[k:k + 250], mean, std)), dim=-1))
    img = torch.cat(feats)
    results = {}
    truth = {"background": torch.tensor(data.bg)}
    truth.update({a: torch.tensor(data.obj[a][:, 0]) for a in ATTRS})
    vocab = dict(VOCABS, background=world.BACKGROUNDS)
    for attr in ("colour", "shape", "position", "size", "background"):
        classes = []
        for value in vocab[attr]:
            emb = F.normalize(model.encode_text(tokenize(tok, class_prompts(attr, value), 77)), dim=-1)
            classes.append(F.normalize(emb.mean(0), dim=-1))
        pred = (img @ torch.stack(classes).T).argmax(-1)
        results[attr] = round(float((pred == truth[attr]).float().mean()) * 100, 2)
    model.train()
    return results


def build_model(tok: clip_bpe.ClipBpe) -> TinyClip:
    text = TextConfig(vocab_size=len(tok.vocab), bos_token_id=tok.bos_id, eos_token_id=tok.eos_id, pad_token_id=tok.eos_id)
    return TinyClip(text, VisionConfig())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=2200)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--train-images", type=int, default=20000)
    ap.add_argument("--text-len", type=int, default=24, help="training sequence length (captions are <= 24 tokens with BOS/EOS; "
                    "with a causal mask the EOS state does not depend on later positions)")
    ap.add_argument("--hard-negatives", type=float, default=0.5,
                    help="fraction of the batch made of anchor + one-attribute-different pairs")
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval", action="store_true", help="only evaluate the final checkpoint")
    ap.add_argument("--bench", action="store_true", help="time 5 steps and exit")
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    os.makedirs(CKPT_DIR, exist_ok=True)
    ckpt_path = os.path.join(CKPT_DIR, "tiny_clip.pt")
    final_path = os.path.join(CKPT_DIR, "tiny_clip_final.pt")
    tok = clip_bpe.ClipBpe.from_folder(TOKENIZER)

    if args.eval:
        state = torch.load(final_path)
        model = build_model(tok)
        model.load_state_dict(state["model"])
        print(json.dumps(zero_shot(model, tok, state["mean"], state["std"])))
        return

    t0 = time.time()
    data = Data(args.train_images)
    mean, std = pixel_stats(data.images)
    print(f"rendered {len(data.scenes)} train images in {time.time() - t0:.1f}s; mean {mean} std {std}", flush=True)

    model = build_model(tok)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "embedding" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "embedding" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-6)
    step, elapsed, history = 0, 0.0, []
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed, history = state["step"], state["elapsed"], state["history"]
        print(f"resumed at step {step} ({elapsed / 60:.1f} min trained)", flush=True)

    def lr_at(s: int) -> float:
        if s < args.warmup:
            return args.lr * (s + 1) / args.warmup
        p = (s - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, p)))

    def save(path: str) -> None:
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "history": history, "mean": mean, "std": std, "args": vars(args)}, path + ".tmp")
        os.replace(path + ".tmp", path)

    model.train()
    t_last = time.time()
    while step < args.steps:
        rng = np.random.default_rng([SEED, step])
        idx = data.batch(rng, args.batch, args.hard_negatives)
        ks = rng.integers(0, 1 << 20, size=args.batch)
        caps = [world.caption_with_spec(data.scenes[i], int(k)) for i, k in zip(idx, ks)]
        ids = tokenize(tok, [c[0] for c in caps], args.text_len)
        target = torch.from_numpy(consistency([c[1] for c in caps], data, idx)).float()
        pixels = to_pixels(data.images[torch.from_numpy(idx)], mean, std)

        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        img = F.normalize(model.encode_image(pixels), dim=-1)
        txt = F.normalize(model.encode_text(ids), dim=-1)
        logits = model.logit_scale.exp() * txt @ img.T  # [captions, images]
        loss_t = -(target / target.sum(1, keepdim=True) * logits.log_softmax(1)).sum(1).mean()
        loss_i = -(target.T / target.T.sum(1, keepdim=True) * logits.T.log_softmax(1)).sum(1).mean()
        loss = (loss_t + loss_i) / 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, math.log(100))
        step += 1
        now = time.time()
        elapsed += now - t_last
        t_last = now
        if args.bench and step >= 5:
            print(f"{elapsed / step:.3f} s/step")
            return
        if step % 25 == 0:
            print(f"step {step} loss {loss.item():.4f} scale {model.logit_scale.exp().item():.1f} "
                  f"lr {lr_at(step):.2e} {elapsed / 60:.1f} min", flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            acc = zero_shot(model, tok, mean, std, n=500, split="val")
            history.append({"step": step, "loss": round(loss.item(), 4), "val": acc})
            print(f"  val zero-shot {acc}", flush=True)
            t_last = time.time()
        if step % args.save_every == 0 or step == args.steps:
            save(ckpt_path)
            t_last = time.time()
    save(final_path)
    test = zero_shot(model, tok, mean, std, n=1000, split="test")
    print(f"final test zero-shot (1000 held-out single-object images): {json.dumps(test)}")
    print(f"training time {elapsed / 60:.1f} min for {step} steps")
    with open(os.path.join(CKPT_DIR, "tiny_clip_metrics.json"), "w") as f:
        json.dump({"test": test, "steps": step, "train_minutes": round(elapsed / 60, 1), "history": history,
                   "args": vars(args)}, f, indent=1)


if __name__ == "__main__":
    main()
