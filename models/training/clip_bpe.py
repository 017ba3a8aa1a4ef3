"""CLIP byte-level BPE in Python: the reference encoder (Hugging Face fast behaviour) and a merge trainer.

The encoder follows /work/shared/tokenizers/README.md ("CLIP normalisation (reference = HF fast)") step by step,
without the third-party ``regex`` module: the split pattern
``<|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+`` is evaluated by a
small scanner on code points. ``check_against_reference`` runs it with the real CLIP ViT-L vocab on the
shared 400 reference prompts; it must report 400/400 before the tiny tokenizer's encodings are trusted.

The trainer writes the tiny tokenizer in CLIP's exact file format: vocab.json = the 256 byte symbols (GPT-2
``bytes_to_unicode`` order), the same 256 with ``</w>``, one entry per merge in merge order, then
``<|startoftext|>`` and ``<|endoftext|>`` as the last two ids; merges.txt = ``#version: 0.2`` + one merge a line.
"""
from __future__ import annotations

import json
import os
import unicodedata
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
SUFFIX = "</w>"
# Unicode White_Space (what the Rust/Oniguruma `\s` matches), not Python's str.isspace (which adds U+001C..U+001F).
WHITE_SPACE = set(
    [chr(c) for c in range(0x09, 0x0E)]
    + [" ", "\x85", "\xa0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)
CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def bytes_to_unicode() -> Dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


BYTE_ENCODER = bytes_to_unicode()


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_number(ch: str) -> bool:
    return unicodedata.category(ch).startswith("N")


def normalize(text: str) -> str:
    """NFC, whitespace runs -> one space, per-character full lowercase (no final-sigma rule)."""
    text = unicodedata.normalize("NFC", text)
    out: List[str] = []
    in_ws = False
    for ch in text:
        if ch in WHITE_SPACE:
            if not in_ws:
                out.append(" ")
            in_ws = True
        else:
            out.append(ch)
            in_ws = False
    return "".join(ch.lower() for ch in "".join(out))


def pre_tokenize(text: str) -> List[str]:
    """The CLIP split regex on already-normalized text; whitespace between matches is dropped."""
    pieces: List[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith(BOS, i):
            pieces.append(BOS)
            i += len(BOS)
            continue
        if text.startswith(EOS, i):
            pieces.append(EOS)
            i += len(EOS)
            continue
        if ch == "'":
            hit = next((c for c in CONTRACTIONS if text.startswith(c, i)), None)
            if hit:
                pieces.append(hit)
                i += len(hit)
                continue
        if _is_letter(ch):
            j = i + 1
            while j < n and _is_letter(text[j]):
                j += 1
            pieces.append(text[i:j])
            i = j
            continue
        if _is_number(ch):
            pieces.append(ch)
            i += 1
            continue
        if ch in WHITE_SPACE:
            i += 1
            continue
        j = i + 1
        while j < n and not (text[j] in WHITE_SPACE or _is_letter(text[j]) or _is_number(text[j])):
            j += 1
        pieces.append(text[i:j])
        i = j
    return pieces


def word_symbols(piece: str) -> List[str]:
    syms = [BYTE_ENCODER[b] for b in piece.encode("utf-8")]
    syms[-1] = syms[-1] + SUFFIX
    return syms


class ClipBpe:
    """Encodes like CLIPTokenizerFast: ids include BOS/EOS; ``encode_77`` pads with EOS like CLIP-L."""

    def __init__(self, vocab: Dict[str, int], merges: Sequence[Tuple[str, str]]):
        self.vocab = vocab
        self.ranks = {tuple(m): i for i, m in enumerate(merges)}
        self.bos_id = vocab[BOS]
        self.eos_id = vocab[EOS]
        self.cache: Dict[str, List[int]] = {}

    @classmethod
    def from_folder(cls, folder: str) -> "ClipBpe":
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(l.split(" ")) for l in lines[1:] if l and not l.startswith("#version")]
        return cls(vocab, merges)  # type: ignore[arg-type]

    def bpe(self, piece: str) -> List[str]:
        word = word_symbols(piece)
        while len(word) > 1:
            best = min(((self.ranks.get((word[k], word[k + 1]), 1 << 60), k) for k in range(len(word) - 1)))
            if best[0] == 1 << 60:
                break
            a, b = word[best[1]], word[best[1] + 1]
            merged: List[str] = []
            k = 0
            while k < len(word):
                if k < len(word) - 1 and word[k] == a and word[k + 1] == b:
                    merged.append(a + b)
                    k += 2
                else:
                    merged.append(word[k])
                    k += 1
            word = merged
        return word

    def _piece_ids(self, piece: str) -> List[int]:
        ids = self.cache.get(piece)
        if ids is None:
            ids = [self.vocab[s] for s in self.bpe(piece)]
            self.cache[piece] = ids
        return ids

    def encode(self, text: str, add_special_tokens: bool = True) -> List[int]:
        ids: List[int] = []
        # Added tokens: <|endoftext|> (normalized=false) is found in the raw text, <|startoftext|>
        # (normalized=true) in the normalized text, as in tokenizer_config.json.
        for k, raw in enumerate(text.split(EOS)):
            if k > 0:
                ids.append(self.eos_id)
            for j, part in enumerate(normalize(raw).split(BOS)):
                if j > 0:
                    ids.append(self.bos_id)
                for piece in pre_tokenize(part):
                    ids.extend(self._piece_ids(piece))
        return [self.bos_id] + ids + [self.eos_id] if add_special_tokens else ids

    def encode_77(self, text: str, length: int = 77) -> List[int]:
        ids = self.encode(text)
        if len(ids) > length:
            ids = ids[: length - 1] + [self.eos_id]
        return ids + [self.eos_id] * (length - len(ids))


def check_against_reference(clip_folder: str, vectors_json: str) -> Tuple[int, int, List[str]]:
    tok = ClipBpe.from_folder(clip_folder)
    with open(vectors_json, encoding="utf-8") as f:
        data = json.load(f)
    entries = data["vectors"] if "vectors" in data else data["entries"] if "entries" in data else data["prompts"]
    ok, bad = 0, []
    for e in entries:
        if tok.encode(e["prompt"]) == e["ids"] and ("ids_77" not in e or tok.encode_77(e["prompt"]) == e["ids_77"]):
            ok += 1
        else:
            bad.append(e["prompt"])
    return ok, len(entries), bad


# --------------------------------------------------------------------------------------------- training

def train(texts: Iterable[str], max_merges: int = 2000, min_frequency: int = 2) -> List[Tuple[str, str]]:
    """Greedy BPE on the pre-tokenized words; ties go to the lexicographically smallest pair (deterministic)."""
    words: Counter = Counter()
    for t in texts:
        for piece in pre_tokenize(normalize(t)):
            words[tuple(word_symbols(piece))] += 1
    corpus = [[list(w), c] for w, c in words.items()]
    merges: List[Tuple[str, str]] = []
    while len(merges) < max_merges:
        pairs: Counter = Counter()
        for w, c in corpus:
            for k in range(len(w) - 1):
                pairs[(w[k], w[k + 1])] += c
        if not pairs:
            break
        best_count = max(pairs.values())
        if best_count < min_frequency:
            break
        best = min(p for p, c in pairs.items() if c == best_count)
        merges.append(best)
        a, b = best
        for entry in corpus:
            w = entry[0]
            k, out = 0, []
            while k < len(w):
                if k < len(w) - 1 and w[k] == a and w[k + 1] == b:
                    out.append(a + b)
                    k += 2
                else:
                    out.append(w[k])
                    k += 1
            entry[0] = out
    return merges


def build_vocab(merges: Sequence[Tuple[str, str]]) -> Dict[str, int]:
    symbols = list(BYTE_ENCODER.values())
    symbols = symbols + [s + SUFFIX for s in symbols]
    seen = set(symbols)
    for a, b in merges:
        if a + b not in seen:  # a merge result can repeat an existing symbol; keep ids unique and contiguous
            symbols.append(a + b)
            seen.add(a + b)
    symbols += [BOS, EOS]
    return {s: i for i, s in enumerate(symbols)}


def write_tokenizer(folder: str, merges: Sequence[Tuple[str, str]], model_max_length: int = 77) -> Dict[str, int]:
    os.makedirs(folder, exist_ok=True)
    vocab = build_vocab(merges)
    with open(os.path.join(folder, "vocab.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(vocab, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    bos_id, eos_id = vocab[BOS], vocab[EOS]

    def token(content: str, normalized: bool) -> dict:
        return {"content": content, "lstrip": False, "normalized": normalized, "rstrip": False, "single_word": False}

    config = {
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(bos_id): {**token(BOS, True), "special": True},
            str(eos_id): {**token(EOS, False), "special": True},
        },
        "bos_token": BOS,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": EOS,
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": EOS,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": EOS,
    }
    with open(os.path.join(folder, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(config, indent=2) + "\n")
    special = {
        "bos_token": token(BOS, True),
        "eos_token": token(EOS, False),
        "pad_token": token(EOS, False),
        "unk_token": token(EOS, False),
    }
    with open(os.path.join(folder, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(special, indent=2) + "\n")
    return vocab
