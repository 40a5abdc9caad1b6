import { logprobFeatures } from './logprob-features.ts';
import type { FeatureSpec } from './schema.ts';
import { styleStats } from './style-stats.ts';
import { textStats } from './text-stats.ts';

export interface FeatureInputs {
  /** layer index -> pooled vector. */
  pooled: (layer: number) => Float32Array;
  series: { logprob: ArrayLike<number>; expected: ArrayLike<number>; variance: ArrayLike<number> };
  from?: number;
  to?: number;
  text: string;
}

/** The detector's input vector, in the order the spec names: layers, then statistics. */
export function featureVector(spec: FeatureSpec, x: FeatureInputs): Float64Array {
  const parts: number[] = [];
  for (const l of spec.layers) for (const v of x.pooled(l)) parts.push(v);
  if (spec.logprob_stats.length) {
    const lp = logprobFeatures(x.series, x.from, x.to);
    for (const k of spec.logprob_stats) parts.push(lp[k]);
  }
  if (spec.text_stats.length) {
    const ts = textStats(x.text);
    for (const k of spec.text_stats) parts.push(ts[k]);
  }
  if (spec.style_stats?.length) {
    const ss = styleStats(x.text);
    for (const k of spec.style_stats) parts.push(ss[k]);
  }
  return Float64Array.from(parts);
}
