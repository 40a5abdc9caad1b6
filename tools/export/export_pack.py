#!/usr/bin/env python3
"""Export a Hugging Face causal LM to the model-pack contract (model.onnx, tokenizer.json,
manifest.json, reference.json) that the inference service loads.

    python3 tools/export/export_pack.py --model Qwen/Qwen2.5-0.5B --name qwen2.5-0.5b-en-v1 --out packs/qwen2.5-0.5b-en-v1
    python3 tools/export/export_pack.py --random-init --config tiny --name qwen2-tiny-random --out /tmp/qwen2-tiny

The contract is written out in inference-container/models/tinylm-en-v1/README.md: right-padded
int64 input_ids/attention_mask in; mean_pooled and last_token [batch, num_layers+1, hidden]
(0 = token embeddings, num_layers = last layer after the final norm) and token_logprob,
expected_logprob, logprob_variance [batch, seq] (0 at t = 0 and at padding) out.
Nothing is unpickled: weights come from safetensors through transformers.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import time

import torch
from torch import nn

OUTPUTS = ["mean_pooled", "last_token", "token_logprob", "expected_logprob", "logprob_variance"]
HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED_TOKENIZER = os.path.join(HERE, "..", "..", "inference-container", "models", "tinylm-en-v1", "tokenizer.json")
# protobuf cannot hold more than 2 GiB; bigger graphs keep their weights in model.onnx.data.
EXTERNAL_DATA_ABOVE_BYTES = 1_800_000_000

# Small Qwen2 shapes for testing the exporter without a download.
CONFIGS = {
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True),
    "small": dict(hidden_size=256, intermediate_size=704, num_hidden_layers=4, num_attention_heads=4,
                  num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True),
    # Qwen2.5-0.5B's own shape (24 layers, 14 query / 2 key-value heads), random weights.
    "qwen2.5-0.5b": dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                         num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1000000.0,
                         rms_norm_eps=1e-6, tie_word_embeddings=True),
}


class PackHeads(nn.Module):
    """The pack's outputs on top of any transformers causal LM."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids, attention_mask):
        # An explicit additive [B, 1, S, S] mask and position ids: transformers uses a 4D mask as
        # given, so tracing never goes through its version-specific mask builders.
        seq = input_ids.shape[1]
        mask_f = attention_mask.to(torch.float32)
        causal = torch.tril(torch.ones(seq, seq, dtype=torch.float32, device=input_ids.device))
        allowed = causal.unsqueeze(0) * mask_f.unsqueeze(1)              # [B, S(query), S(key)]
        additive = (1.0 - allowed).unsqueeze(1) * torch.finfo(torch.float32).min
        positions = torch.arange(seq, device=input_ids.device).unsqueeze(0).expand_as(input_ids)
        out = self.lm.model(input_ids=input_ids, attention_mask=additive, position_ids=positions,
                            output_hidden_states=True, use_cache=False)
        hidden = list(out.hidden_states)
        # Some transformers releases record the last layer before the final norm; the contract
        # wants it after, which is exactly last_hidden_state.
        hidden[-1] = out.last_hidden_state
        logits = self.lm.lm_head(out.last_hidden_state).float()
        mask = attention_mask.to(torch.float32)
        hs = torch.stack([h.float() for h in hidden], dim=1)          # [B, L+1, S, H]
        m = mask.unsqueeze(1).unsqueeze(-1)
        mean_pooled = (hs * m).sum(2) / m.sum(2).clamp(min=1.0)
        last_idx = (attention_mask.sum(1) - 1).clamp(min=0)
        idx = last_idx.view(-1, 1, 1, 1).expand(hs.shape[0], hs.shape[1], 1, hs.shape[3])
        last_token = hs.gather(2, idx).squeeze(2)
        logp = logits.log_softmax(-1)                                   # [B, S, V]
        p = logp.exp()
        exp_lp = (p * logp).sum(-1)
        var_lp = (p * logp * logp).sum(-1) - exp_lp * exp_lp
        # Position t is scored by the distribution predicted at t - 1.
        tok_lp = logp[:, :-1].gather(-1, input_ids[:, 1:].unsqueeze(-1)).squeeze(-1)
        valid = mask[:, 1:]
        zero = torch.zeros_like(mask[:, :1])
        return (mean_pooled, last_token,
                torch.cat([zero, tok_lp * valid], 1),
                torch.cat([zero, exp_lp[:, :-1] * valid], 1),
                torch.cat([zero, var_lp[:, :-1] * valid], 1))


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_model(args):
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen2ForCausalLM, PreTrainedTokenizerFast

    if args.random_init:
        tok_path = args.tokenizer or BUNDLED_TOKENIZER
        tokenizer = PreTrainedTokenizerFast(tokenizer_file=tok_path)
        vocab = len(tokenizer)
        torch.manual_seed(args.seed)
        cfg = Qwen2Config(vocab_size=vocab, **CONFIGS[args.config])
        lm = Qwen2ForCausalLM._from_config(cfg, attn_implementation="eager")
        source = {"random_init": args.config, "seed": args.seed, "tokenizer": os.path.basename(tok_path)}
        with open(tok_path, "rb") as f:
            tokenizer_json = f.read()
    else:
        kw = {"revision": args.revision} if args.revision else {}
        tokenizer = AutoTokenizer.from_pretrained(args.model, use_fast=True, **kw)
        # Eager attention traces to plain ops that every ONNX Runtime build runs.
        lm = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.float32, attn_implementation="eager",
                                                  use_safetensors=True, **kw)
        source = {"hf_model": args.model, "revision": args.revision or "main"}
        tokenizer_json = None
    lm.eval()
    lm.config.use_cache = False
    return lm, tokenizer, tokenizer_json, source


def bos_id(tokenizer):
    # Qwen tokenizers have no BOS; like the bundled pack, every text starts with <|endoftext|>.
    vocab = tokenizer.get_vocab()
    for t in ("<|endoftext|>",):
        if t in vocab:
            return vocab[t]
    for v in (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id):
        if v is not None:
            return v
    return 0


def export_onnx(heads, vocab, path, opset, dynamo):
    ids = torch.randint(1, vocab, (2, 16))
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0
    dyn = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
           **{o: {0: "batch"} for o in OUTPUTS[:2]},
           **{o: {0: "batch", 1: "sequence"} for o in OUTPUTS[2:]}}
    kw = {"dynamo": dynamo} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
    with torch.no_grad():
        torch.onnx.export(heads, (ids, mask), path, input_names=["input_ids", "attention_mask"], output_names=OUTPUTS,
                          dynamic_axes=dyn, opset_version=opset, do_constant_folding=True, **kw)


def finalise_onnx(raw_path, path, force_external=False):
    """Checks the graph and rewrites it into the pack, weights in model.onnx.data past 2 GiB."""
    import onnx

    model = onnx.load(raw_path, load_external_data=True)
    size = sum(t.ByteSize() for t in model.graph.initializer)
    data = None
    if force_external or size > EXTERNAL_DATA_ABOVE_BYTES:
        data = os.path.basename(path) + ".data"
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data)
        onnx.checker.check_model(path)
        # onnx writes the data file owner-only; the image's non-root user must read it too.
        os.chmod(os.path.join(os.path.dirname(path), data), 0o644)
    else:
        onnx.save_model(model, path)
        onnx.checker.check_model(model)
    names = [o.name for o in model.graph.output]
    if names != OUTPUTS:
        raise SystemExit(f"exported outputs {names} differ from the contract {OUTPUTS}")
    return data


def reference(heads, vocab, max_len):
    """Token ids and framework outputs the serving side must reproduce (max abs diff 1e-4)."""
    g = torch.Generator().manual_seed(7)
    ref = []
    for n in (5, 40, min(200, max_len)):
        t = torch.randint(1, vocab, (1, n), generator=g)
        with torch.no_grad():
            outs = heads(t, torch.ones_like(t))
        ref.append({"input_ids": t[0].tolist(),
                    "mean_pooled_layer_last_first8": outs[0][0, -1, :8].tolist(),
                    "last_token_layer_last_first8": outs[1][0, -1, :8].tolist(),
                    "token_logprob_sum": float(outs[2].sum()),
                    "expected_logprob_sum": float(outs[3].sum()),
                    "logprob_variance_sum": float(outs[4].sum())})
    return ref


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", help="Hugging Face model id or local folder (safetensors), e.g. Qwen/Qwen2.5-0.5B")
    src.add_argument("--random-init", action="store_true", help="a randomly initialised Qwen2 (no download), for testing")
    ap.add_argument("--config", choices=sorted(CONFIGS), default="tiny", help="shape for --random-init")
    ap.add_argument("--tokenizer", help="tokenizer.json for --random-init (default: the bundled pack's)")
    ap.add_argument("--revision", help="model revision (commit) to pin")
    ap.add_argument("--name", required=True, help="pack name, e.g. qwen2.5-0.5b-en-v1")
    ap.add_argument("--out", required=True, help="pack folder to write")
    ap.add_argument("--max-length", type=int, default=512, help="longest sequence the service sends, BOS included")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--dynamo", action="store_true", help="use torch.export (dynamo) instead of the TorchScript exporter")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--external-data", action="store_true", help="weights in model.onnx.data even under 2 GiB")
    args = ap.parse_args(argv)

    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    lm, tokenizer, tokenizer_json, source = load_model(args)
    cfg = lm.config
    vocab = cfg.vocab_size
    heads = PackHeads(lm).eval()
    max_len = min(args.max_length, getattr(cfg, "max_position_embeddings", args.max_length))

    model_path = os.path.join(args.out, "model.onnx")
    # The exporter may scatter big weights over many files; it writes into a scratch folder.
    with tempfile.TemporaryDirectory() as scratch:
        raw = os.path.join(scratch, "model.onnx")
        export_onnx(heads, vocab, raw, args.opset, args.dynamo)
        external = finalise_onnx(raw, model_path, args.external_data)

    tok_path = os.path.join(args.out, "tokenizer.json")
    if tokenizer_json is not None:
        with open(tok_path, "wb") as f:
            f.write(tokenizer_json)
    else:
        tokenizer.backend_tokenizer.save(tok_path)

    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference(heads, vocab, max_len), f, indent=1)

    bos = bos_id(tokenizer)
    files = {"model.onnx": sha256(model_path), "tokenizer.json": sha256(tok_path)}
    if external:
        files[external] = sha256(os.path.join(args.out, external))
    manifest = {
        "name": args.name,
        "architecture": f"{cfg.model_type} decoder-only transformer ({type(lm).__name__})",
        "parameters": sum(p.numel() for p in lm.parameters()),
        "hidden_size": cfg.hidden_size,
        "num_layers": cfg.num_hidden_layers,
        "layers_in_outputs": cfg.num_hidden_layers + 1,
        "layer_index_note": "index 0 is the token embeddings; index num_layers is the last layer after the final norm",
        "max_sequence_length": max_len,
        "vocab_size": vocab,
        "bos_token_id": bos,
        "prepend_bos": True,
        "padding_side": "right",
        "pad_token_id": bos,
        "inputs": {"input_ids": "int64 [batch, sequence]", "attention_mask": "int64 [batch, sequence], 1 = real token"},
        "outputs": {
            "mean_pooled": "float32 [batch, layers_in_outputs, hidden_size]",
            "last_token": "float32 [batch, layers_in_outputs, hidden_size]",
            "token_logprob": "float32 [batch, sequence]; log p(x_t | x_<t), 0 at t=0 and padding",
            "expected_logprob": "float32 [batch, sequence]; sum_v p log p of the predicting distribution",
            "logprob_variance": "float32 [batch, sequence]; variance of log p under the predicting distribution",
        },
        "onnx_opset": args.opset,
        "model_sha256": files["model.onnx"],
        "tokenizer_sha256": files["tokenizer.json"],
        "files": files,
        "source": source,
        "export": {"torch": torch.__version__, "transformers": __import__("transformers").__version__,
                   "onnx": __import__("onnx").__version__, "dynamo": args.dynamo},
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps({"exported": args.out, "model_bytes": os.path.getsize(model_path), "external_data": external,
                      "model_sha256": files["model.onnx"], "seconds": round(time.time() - t0, 1)}))


if __name__ == "__main__":
    sys.exit(main())
