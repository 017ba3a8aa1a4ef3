"""PyTorch zero-shot predictions of the trained tiny CLIP on the held-out shapes-world renders, for the C# classifier.

    OMP_NUM_THREADS=1 /usr/bin/python3 tests/Conditioning.Tests/Fixtures/tiny-clip-zeroshot/make_reference.py \
        --checkpoint models/training/checkpoints/tiny_clip_final.pt [--out reference.json]

Uses models/training/train_clip.py's own zero-shot recipe (its TEMPLATES / class_prompts, prompts tokenized to 77,
class embedding = normalised mean of normalised prompt embeddings, argmax of cosine) on the 300 single-object PNGs
of models/shapes-world/fixtures as decoded by PIL, and writes per image and attribute the predicted label, plus the
accuracies. The checkpoint is git-ignored (it lives where train_clip.py wrote it), so the output is committed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "models", "training"))
import clip_bpe  # noqa: E402
import world  # noqa: E402
from train_clip import TOKENIZER, VOCABS, build_model, class_prompts, to_pixels, tokenize  # noqa: E402

FIXTURES = os.path.join(ROOT, "models", "shapes-world", "fixtures")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", default=os.path.join(HERE, "reference.json"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    state = torch.load(args.checkpoint)
    tok = clip_bpe.ClipBpe.from_folder(TOKENIZER)
    model = build_model(tok)
    model.load_state_dict(state["model"])
    model.eval()
    truth = json.load(open(os.path.join(FIXTURES, "ground_truth.json"), encoding="utf-8"))
    single = [e for e in truth["images"] if len(e["objects"]) == 1]
    images = torch.from_numpy(np.stack([np.asarray(Image.open(os.path.join(FIXTURES, e["file"])).convert("RGB")) for e in single]))
    vocab = dict(VOCABS, background=world.BACKGROUNDS)
    out = {"description": __doc__.strip().splitlines()[0], "checkpoint_step": state.get("step"),
           "checkpoint_sha256": hashlib.sha256(open(args.checkpoint, "rb").read()).hexdigest(),
           "files": [e["file"] for e in single], "predictions": {}, "accuracy": {}}
    with torch.no_grad():
        img = F.normalize(model.encode_image(to_pixels(images, state["mean"], state["std"])), dim=-1)
        for attr in ("colour", "shape", "position", "size", "background"):
            classes = []
            for value in vocab[attr]:
                emb = F.normalize(model.encode_text(tokenize(tok, class_prompts(attr, value), 77)), dim=-1)
                classes.append(F.normalize(emb.mean(0), dim=-1))
            pred = (img @ torch.stack(classes).T).argmax(-1).tolist()
            labels = [vocab[attr][p] for p in pred]
            want = [e["background"] if attr == "background" else e["objects"][0][attr] for e in single]
            out["predictions"][attr] = labels
            out["accuracy"][attr] = round(100 * sum(a == b for a, b in zip(labels, want)) / len(single), 2)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps(out["accuracy"]))


if __name__ == "__main__":
    main()
