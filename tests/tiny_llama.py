"""Write a tiny llama-architecture GGUF model for tests: ``python tiny_llama.py OUT CORPUS``.

Run with `.llama-venv`'s Python (it has the ``gguf`` writer and numpy; the
tool's own environment needs neither). Nothing is downloaded: the model is made
here, with random weights from a fixed seed.

* Tokenizer: SentencePiece-style (``llama``), every byte as a fallback token,
  the printable ASCII characters, and the words of `CORPUS` (a text the test
  passes: the tool's own prompt) with every prefix of each, so that llama.cpp's
  merges reach them. A prompt tokenizes at a few characters per token, as a
  real model's tokenizer counts it, instead of one token per byte.
* Two layers, 64 dimensions: a forward pass over thousands of tokens takes a
  fraction of a second on a CPU.
* The answer: random weights say nothing, but a grammar (llama-cpp-python's
  JSON mode with a schema) constrains each token to the schema. What makes the
  constrained answer end is one direction of the embeddings that every token
  shares and that the output layer reads as a fixed order of preference:
  closing quotes and brackets first. So the grammar's shortest way out is taken
  at each step (empty strings, empty lists) and every answer is valid, short
  JSON whatever the article: garbage, but the pipeline runs end to end.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import gguf
import numpy as np

SEED = 18
EMBED = 64
HEADS = 4
LAYERS = 2
FEED_FORWARD = 128
MAX_WORDS = 100
#: Characters the output layer prefers, best first: what ends a JSON value soonest.
PREFERRED = ['"', "]", "}", "f", ",", ":", "[", "{"]
SPACE = "\u2581"  # SentencePiece's word boundary


def vocabulary(corpus: str) -> tuple[list[str], list[float], list[int]]:
    """Tokens, merge scores and types: control tokens, bytes, characters, word pieces."""
    tokens = ["<unk>", "<s>", "</s>"]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    tokens += [f"<0x{byte:02X}>" for byte in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    pieces = [SPACE] + [chr(code) for code in range(33, 127)]
    words = Counter(re.findall(r"[A-Za-z]+", corpus))
    for word, _ in words.most_common(MAX_WORDS):
        for piece in (SPACE + word, word):
            pieces += [piece[:end] for end in range(2, len(piece) + 1)]
    seen = set(tokens)
    for piece in pieces:
        if piece not in seen:
            seen.add(piece)
            tokens.append(piece)
            types.append(gguf.TokenType.NORMAL)
    scores = [0.0] * 259 + [float(len(token)) for token in tokens[259:]]
    return tokens, scores, [int(kind) for kind in types]


def weights(tokens: list[str]) -> dict[str, np.ndarray]:
    """Random weights, plus the shared direction that fixes the output's order of preference."""
    rng = np.random.default_rng(SEED)

    def random(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    vocab = len(tokens)
    embeddings = random(vocab, EMBED)
    embeddings[:, 0] = 1.0  # every token's shared direction
    output = random(vocab, EMBED)
    output[:, 0] = rng.uniform(-1.0, 0.0, vocab).astype(np.float32)
    for rank, text in enumerate(PREFERRED):
        output[tokens.index(text), 0] = 3.0 - 0.25 * rank
    output[tokens.index("</s>"), 0] = 0.5  # only reachable when the grammar is complete
    tensors = {
        "token_embd.weight": embeddings,
        "output_norm.weight": np.ones(EMBED, dtype=np.float32),
        "output.weight": output,
    }
    for layer in range(LAYERS):
        block = f"blk.{layer}"
        tensors |= {
            f"{block}.attn_norm.weight": np.ones(EMBED, dtype=np.float32),
            f"{block}.attn_q.weight": random(EMBED, EMBED),
            f"{block}.attn_k.weight": random(EMBED, EMBED),
            f"{block}.attn_v.weight": random(EMBED, EMBED),
            f"{block}.attn_output.weight": random(EMBED, EMBED),
            f"{block}.ffn_norm.weight": np.ones(EMBED, dtype=np.float32),
            f"{block}.ffn_gate.weight": random(FEED_FORWARD, EMBED),
            f"{block}.ffn_up.weight": random(FEED_FORWARD, EMBED),
            f"{block}.ffn_down.weight": random(EMBED, FEED_FORWARD),
        }
    return tensors


def write(path: Path, corpus: str) -> None:
    tokens, scores, types = vocabulary(corpus)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny-test-llama")
    writer.add_context_length(32768)
    writer.add_embedding_length(EMBED)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(EMBED // HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    for name, tensor in weights(tokens).items():
        writer.add_tensor(name, tensor)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    write(Path(sys.argv[1]), Path(sys.argv[2]).read_text(encoding="utf-8"))
