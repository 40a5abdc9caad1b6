import { auroc, ratesAt, rocCurve, tprAtFpr } from '../detectors/metrics.ts';
import type { Detector } from '../detectors/schema.ts';
import type { Featurized } from './featurize.ts';
import { featureRows, labelsOf, scoreRows } from './fit-detector.ts';

export interface GroupMetrics {
  n: number;
  human: number;
  ai: number;
  auroc: number | null;
  tpr_at_1pct_fpr: number | null;
  tpr_at_5pct_fpr: number | null;
  strict: { threshold: number; fpr: number | null; tpr: number | null };
  balanced: { threshold: number; fpr: number | null; tpr: number | null };
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** Metrics of one group of scored texts at the detector's own thresholds. */
export function groupMetrics(d: Detector, scores: Float64Array, y: Uint8Array): GroupMetrics {
  const ai = y.reduce((a, b) => a + b, 0);
  const both = ai > 0 && ai < y.length;
  const at = (t: number) => {
    const r = ratesAt(scores, y, t);
    return { threshold: t, fpr: finite(r.fpr), tpr: finite(r.tpr) };
  };
  return {
    n: y.length,
    human: y.length - ai,
    ai,
    auroc: both ? auroc(scores, y) : null,
    tpr_at_1pct_fpr: both ? tprAtFpr(scores, y, 0.01) : null,
    tpr_at_5pct_fpr: both ? tprAtFpr(scores, y, 0.05) : null,
    strict: at(d.thresholds.strict.score),
    balanced: at(d.thresholds.balanced.score),
  };
}

export function evaluateDetector(d: Detector, items: Featurized[]) {
  const scores = scoreRows({ standardizer: d.standardizer, head: d.head }, featureRows(items, d.features));
  const y = labelsOf(items);
  const overall = groupMetrics(d, scores, y);
  const by = (field: 'domain' | 'generator' | 'attack') => {
    const keys = [...new Set(items.map((i) => i.example[field]).filter((k): k is string => typeof k === 'string'))].sort();
    if (keys.length === 0) return undefined;
    return Object.fromEntries(
      keys.map((k) => {
        const idx = items.map((it, i) => (it.example[field] === k ? i : -1)).filter((i) => i >= 0);
        return [k, groupMetrics(d, Float64Array.from(idx, (i) => scores[i]!), Uint8Array.from(idx, (i) => y[i]!))];
      }),
    );
  };
  const shortTexts = items.filter((it) => it.features.tokens < d.min_tokens).length;
  // The service answers 'uncertain' under min_tokens; these are the texts it gives a verdict on.
  const answeredIdx = items.map((it, i) => (it.features.tokens >= d.min_tokens ? i : -1)).filter((i) => i >= 0);
  const answered = groupMetrics(d, Float64Array.from(answeredIdx, (i) => scores[i]!), Uint8Array.from(answeredIdx, (i) => y[i]!));
  return { scores, y, overall, answered, by_domain: by('domain'), by_generator: by('generator'), by_attack: by('attack'), too_short: shortTexts, roc: overall.auroc === null ? null : rocCurve(scores, y) };
}
