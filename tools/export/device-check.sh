#!/usr/bin/env bash
# One pass on a GPU machine with no network: report what Python has, then, when torch,
# transformers and onnx are there, export a randomly initialised tiny Qwen2 into $OUT/pack.
# The pack comes back to a development machine, where tools/export/verify-pack.ts loads it.
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/device-check}
mkdir -p "$OUT"
exec > >(tee "$OUT/device-check.log") 2>&1

echo "== machine"; date -u; uname -m; nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>&1 | head -2
echo "== python"; command -v python3 && python3 --version
python3 - <<'PY'
import importlib
for m in ("torch", "transformers", "onnx", "onnxruntime", "safetensors", "tokenizers"):
    try:
        mod = importlib.import_module(m)
        print(f"{m} {getattr(mod, '__version__', '?')}")
    except Exception as e:  # report and carry on: the point is to learn what is there
        print(f"{m} MISSING ({type(e).__name__}: {e})")
try:
    import torch
    print("cuda", torch.cuda.is_available(), torch.version.cuda)
except Exception:
    pass
PY

if ! python3 -c "import torch, transformers, onnx" 2>/dev/null; then
  echo "== result: torch/transformers/onnx not all importable; no export attempted"
  exit 0
fi

echo "== export (TorchScript exporter)"
if ! timeout 300 python3 tools/export/export_pack.py --random-init --config tiny --name qwen2-tiny-random \
    --out "$OUT/pack"; then
  echo "== export (dynamo exporter), after the TorchScript exporter failed"
  rm -rf "$OUT/pack"
  timeout 300 python3 tools/export/export_pack.py --random-init --config tiny --name qwen2-tiny-random \
    --out "$OUT/pack" --dynamo || { echo "== result: export failed"; exit 0; }
fi
ls -la "$OUT/pack"

parity() {
  python3 -c "import onnxruntime" 2>/dev/null || { echo "onnxruntime (python) missing: no parity check here"; return 0; }
  echo "== onnxruntime (python) parity against reference.json, and padded batch against one at a time: $1"
  python3 - "$1" <<'PY'
import json, sys
import numpy as np, onnxruntime as ort
d = sys.argv[1]
s = ort.InferenceSession(f"{d}/model.onnx", providers=["CPUExecutionProvider"])
refs = json.load(open(f"{d}/reference.json"))
for r in refs:
    ids = np.array([r["input_ids"]], dtype=np.int64)
    o = s.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    print(len(r["input_ids"]), "mean_pooled max abs diff", float(np.abs(o[0][0, -1, :8] - r["mean_pooled_layer_last_first8"]).max()),
          "last_token", float(np.abs(o[1][0, -1, :8] - r["last_token_layer_last_first8"]).max()),
          "token_logprob_sum diff", float(abs(o[2].sum() - r["token_logprob_sum"])))
a, b = refs[0]["input_ids"], refs[1]["input_ids"]
ids = np.zeros((2, len(b)), dtype=np.int64); mask = np.zeros_like(ids)
ids[0, :len(a)] = a; mask[0, :len(a)] = 1; ids[1] = b; mask[1] = 1
batched = s.run(None, {"input_ids": ids, "attention_mask": mask})
alone = s.run(None, {"input_ids": ids[:1, :len(a)], "attention_mask": mask[:1, :len(a)]})
print("padded vs alone, max abs diff per output:",
      [float(np.abs(batched[k][0][..., :len(a)] - alone[k][0]).max()) if k >= 2 else float(np.abs(batched[k][0] - alone[k][0]).max()) for k in range(5)])
PY
}
parity "$OUT/pack"

# Qwen2.5-0.5B's shape with random weights and the weights in model.onnx.data: the full-size
# export path. Kept on this machine (too big to send back); checked here with onnxruntime.
echo "== export: qwen2.5-0.5b shape, random weights, external data"
BIG=$(mktemp -d)
if timeout 400 python3 tools/export/export_pack.py --random-init --config qwen2.5-0.5b --external-data \
    --name qwen2.5-0.5b-shape-random --out "$BIG/pack"; then
  ls -la "$BIG/pack"
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print('parameters', m['parameters'], 'files', m['files'])" "$BIG/pack/manifest.json"
  parity "$BIG/pack"
else
  echo "qwen2.5-0.5b-shape export failed"
fi
rm -rf "$BIG"
echo "== result: done"
