/** Resolves a layer index against the pack; negative indexes count from the end. */
export function resolveLayer(layer: number, layersInOutputs: number): number | null {
  const idx = layer < 0 ? layersInOutputs + layer : layer;
  return idx >= 0 && idx < layersInOutputs ? idx : null;
}

export function layerSlice(all: Float32Array, layer: number, hidden: number): Float32Array {
  return all.subarray(layer * hidden, (layer + 1) * hidden);
}

/** Mean of per-window vectors weighted by how many positions each window pooled. */
export function weightedMean(vectors: Float32Array[], weights: number[]): Float32Array {
  const out = new Float32Array(vectors[0]!.length);
  const total = weights.reduce((a, b) => a + b, 0);
  vectors.forEach((v, k) => {
    const w = weights[k]! / total;
    for (let i = 0; i < out.length; i++) out[i]! += v[i]! * w;
  });
  return out;
}

export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}
