"""Trains the two tiny tokenizers on shapes-world captions and writes Python-side reference encodings.

    OMP_NUM_THREADS=1 /usr/bin/python3 models/training/make_tokenizers.py

Writes (all deterministic):
  models/tiny-clip/tokenizer/{vocab.json,merges.txt,tokenizer_config.json,special_tokens_map.json}
      byte-level BPE in CLIP's file format (merges trained here, byte fallback so any text tokenizes)
  models/tiny-t5/tokenizer/{spiece.model,tokenizer_config.json,special_tokens_map.json}
      SentencePiece Unigram, nmt_nfkc, <pad>=0 </s>=1 <unk>=2, no BOS (T5's layout)
  models/tiny-clip/fixtures/tokenizer_vectors.json, models/tiny-t5/fixtures/tokenizer_vectors.json
      reference ids for the caption corpus and odd text, in the format of ../shared/tokenizers/*_vectors.json

Before writing, the Python CLIP encoder is checked against ../shared/tokenizers/clip_vectors.json with the
real CLIP ViT-L vocab (must be 400/400), and SentencePiece against t5_vectors.json, when ../shared is present.
"""
from __future__ import annotations

import io
import json
import os
import string
import sys

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_bpe  # noqa: E402
import world  # noqa: E402

MODELS = os.path.dirname(HERE)
SHARED = os.path.normpath(os.path.join(MODELS, "..", "..", "shared", "tokenizers"))
CLIP_DIR = os.path.join(MODELS, "tiny-clip", "tokenizer")
T5_DIR = os.path.join(MODELS, "tiny-t5", "tokenizer")

ODD_TEXT = [
    "",
    " ",
    "   a   red    circle   ",
    "A LARGE RED CIRCLE ON THE LEFT",
    "Red Circle, White Background",
    "a red circle\non the left\tand a blue star",
    "a photo of a small blue star at the top",
    "a red square and a green circle",
    "a magenta hexagon in the corner",
    "an ultramarine dodecahedron, chiaroscuro lighting, 8k, trending on artstation",
    "(red:1.2) circle, [blue] star, ((masterpiece))",
    "a red circle <|endoftext|> a blue star",
    "<|startoftext|>a red circle",
    "it's a red circle, isn't it? they'll see; we'd've",
    "1234567890 3.14159 -42 1e-5 100%",
    "café naïve résumé Ångström",
    "ﬁne ligature and ＦＵＬＬＷＩＤＴＨ text",
    "İstanbul ΣΊΣΥΦΟΣ straße",
    "日本語のテキスト 中文 한국어",
    "emoji 🟥🔵⭐ and 👩‍👩‍👧 family",
    "math 𝓯(𝟏) = 𝟐 and 𠮷",
    "tabs\tand\u00a0non-breaking\u2003spaces",
    "zero\u200bwidth joiner\u200d here",
    "control \x07 bell and \x1f unit separator",
    "punctuation!!! ??? ... ---- ,,,, ;;;; :::: \"quotes\" 'single' `back`",
    "<html> &amp; &lt;tag&gt; </html>",
    "https://example.com/path?query=red+circle#top",
    "redcircleontheleft",
    "circlecirclecirclecircle",
    " ".join(["red circle"] * 50),
]


def corpus() -> list:
    return world.caption_corpus(n_scenes=4000, captions_per_scene=4)


def check_references() -> None:
    clip_vectors = os.path.join(SHARED, "clip_vectors.json")
    if os.path.exists(clip_vectors):
        ok, n, bad = clip_bpe.check_against_reference(os.path.join(SHARED, "clip-vit-large-patch14"), clip_vectors)
        print(f"python CLIP BPE vs HF reference (real ViT-L vocab): {ok}/{n}")
        if ok != n:
            raise SystemExit(f"reference mismatch, e.g. {bad[:3]!r}")
        sp = spm.SentencePieceProcessor(model_file=os.path.join(SHARED, "t5-v1_1-xxl", "spiece.model"))
        with open(os.path.join(SHARED, "t5_vectors.json"), encoding="utf-8") as f:
            entries = json.load(f)["vectors"]
        ok = sum(sp.encode(e["prompt"]) + [1] == e["ids"] for e in entries)
        print(f"sentencepiece vs HF T5 reference (real spiece.model): {ok}/{len(entries)}")
        if ok != len(entries):
            raise SystemExit("sentencepiece reference mismatch")
    else:
        print(f"note: {SHARED} not found; skipped the reference checks")


def shared_prompts(name: str) -> list:
    path = os.path.join(SHARED, name)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [e["prompt"] for e in json.load(f)["vectors"]]


def test_prompts(captions: list, shared_name: str) -> list:
    out, seen = [], set()

    def add(p: str, kind: str) -> None:
        if p not in seen:
            seen.add(p)
            out.append((p, kind))

    for c in captions:
        add(c, "caption")
    # Held-out captions (test split) and the zero-shot templates.
    for s in world.scenes(200, "test"):
        add(world.caption(s, 0), "caption_test")
    for p in ODD_TEXT:
        add(p, "odd")
    for p in shared_prompts(shared_name):
        add(p, "shared_" + shared_name.split("_")[0])
    return out


def build_clip(captions: list) -> None:
    merges = clip_bpe.train(captions, max_merges=2000, min_frequency=2)
    vocab = clip_bpe.write_tokenizer(CLIP_DIR, merges)
    tok = clip_bpe.ClipBpe.from_folder(CLIP_DIR)
    print(f"tiny CLIP BPE: {len(merges)} merges, vocab {len(vocab)} (BOS {tok.bos_id}, EOS {tok.eos_id})")
    unique_captions = sorted(set(captions))
    lengths = [len(tok.encode(c)) for c in unique_captions]
    print(f"  caption length (with BOS/EOS): max {max(lengths)}, mean {sum(lengths) / len(lengths):.1f}")
    prompts = test_prompts(unique_captions[:1000], "clip_vectors.json")
    vectors = [{"prompt": p, "kind": k, "ids": tok.encode(p), "ids_77": tok.encode_77(p)} for p, k in prompts]
    write_vectors(
        os.path.join(MODELS, "tiny-clip", "fixtures", "tokenizer_vectors.json"),
        "Reference token ids for the tiny-clip byte-level BPE (models/tiny-clip/tokenizer).",
        "ids = models/training/clip_bpe.py ClipBpe.encode, a Python port of CLIPTokenizerFast (HF fast / transformers v5) "
        "behaviour that reproduces ../shared/tokenizers/clip_vectors.json 400/400 with the real ViT-L files. "
        "ids_77 = BOS + first 75 content ids + EOS, padded with EOS (pad_token <|endoftext|>).",
        {"bos_id": tok.bos_id, "eos_id": tok.eos_id, "pad_id": tok.eos_id, "vocab_size": len(vocab)},
        vectors,
    )


def build_t5(captions: list) -> None:
    os.makedirs(T5_DIR, exist_ok=True)
    lines = sorted(set(captions))
    # Cased and upper-case variants plus every printable ASCII character, so that ordinary English text
    # (capitals, digits, punctuation) does not fall back to <unk>.
    lines += [c[:1].upper() + c[1:] + "." for c in lines[:2000]] + [c.upper() for c in lines[:300]]
    lines += [" ".join(string.ascii_letters), " ".join(string.digits), " ".join(string.punctuation)]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        model_type="unigram",
        vocab_size=400,
        hard_vocab_limit=False,
        character_coverage=1.0,
        normalization_rule_name="nmt_nfkc",
        pad_id=0, pad_piece="<pad>",
        eos_id=1, eos_piece="</s>",
        unk_id=2, unk_piece="<unk>",
        bos_id=-1,
        num_threads=1,
        shuffle_input_sentence=False,
        minloglevel=2,
    )
    with open(os.path.join(T5_DIR, "spiece.model"), "wb") as f:
        f.write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=os.path.join(T5_DIR, "spiece.model"))
    print(f"tiny T5 unigram: vocab {sp.get_piece_size()} (pad {sp.pad_id()}, eos {sp.eos_id()}, unk {sp.unk_id()}, bos {sp.bos_id()})")
    special = {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}
    config = {
        "additional_special_tokens": [],
        "clean_up_tokenization_spaces": True,
        "eos_token": "</s>",
        "extra_ids": 0,
        "legacy": False,
        "model_max_length": 77,
        "pad_token": "<pad>",
        "sp_model_kwargs": {},
        "tokenizer_class": "T5Tokenizer",
        "unk_token": "<unk>",
    }
    with open(os.path.join(T5_DIR, "tokenizer_config.json"), "w") as f:
        f.write(json.dumps(config, indent=2) + "\n")
    with open(os.path.join(T5_DIR, "special_tokens_map.json"), "w") as f:
        f.write(json.dumps(special, indent=2) + "\n")
    # Plain SentencePiece does not map special tokens typed in the text (HF fast does); leave those prompts out.
    prompts = [(p, k) for p, k in test_prompts(sorted(set(captions))[:1000], "t5_vectors.json")
               if not any(s in p for s in ("</s>", "<pad>", "<unk>", "<extra_id"))]
    vectors = [{"prompt": p, "kind": k, "ids": sp.encode(p) + [1]} for p, k in prompts]
    write_vectors(
        os.path.join(MODELS, "tiny-t5", "fixtures", "tokenizer_vectors.json"),
        "Reference token ids for the tiny T5-style SentencePiece Unigram (models/tiny-t5/tokenizer/spiece.model).",
        "ids = sentencepiece 0.1.97 encode(prompt) + [1] (</s>); this equals HF T5TokenizerFast (legacy=false) on "
        "../shared/tokenizers/t5_vectors.json 400/400 with the real spiece.model. Prompts containing a literal special "
        "token (</s>, <pad>, <unk>, <extra_id_N>) are omitted because plain SentencePiece does not map them.",
        {"pad_id": 0, "eos_id": 1, "unk_id": 2, "vocab_size": sp.get_piece_size()},
        vectors,
    )


def write_vectors(path: str, description: str, reference: str, ids: dict, vectors: list) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = {
        "description": description,
        "reference": reference,
        "command": "OMP_NUM_THREADS=1 /usr/bin/python3 models/training/make_tokenizers.py",
        "special_ids": ids,
        "count": len(vectors),
        "vectors": vectors,
    }
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n")
        for k in ("description", "reference", "command", "special_ids", "count"):
            f.write(f" {json.dumps(k)}: {json.dumps(doc[k], ensure_ascii=False)},\n")
        f.write(' "vectors": [\n')
        f.write(",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in vectors))
        f.write("\n ]\n}\n")
    print(f"  wrote {len(vectors)} vectors to {os.path.relpath(path, MODELS)}")


def main() -> None:
    check_references()
    captions = corpus()
    build_clip(captions)
    build_t5(captions)


if __name__ == "__main__":
    main()
