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

if python3 -c "import onnxruntime" 2>/dev/null; then
  echo "== onnxruntime (python) parity against reference.json"
  python3 - "$OUT/pack" <<'PY'
import json, sys
import numpy as np, onnxruntime as ort
d = sys.argv[1]
s = ort.InferenceSession(f"{d}/model.onnx", providers=["CPUExecutionProvider"])
m = json.load(open(f"{d}/manifest.json"))
for r in json.load(open(f"{d}/reference.json")):
    ids = np.array([r["input_ids"]], dtype=np.int64)
    o = s.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    print(len(r["input_ids"]), "mean_pooled", float(np.abs(o[0][0, -1, :8] - r["mean_pooled_layer_last_first8"]).max()),
          "token_logprob_sum", float(abs(o[2].sum() - r["token_logprob_sum"])))
PY
fi
echo "== result: done"
