import { PROFILE_FPR } from '@detector/contract';
import { decideText } from '@detector/detector-kit/decision.ts';
import { featureVector } from '@detector/detector-kit/feature-vector.ts';
import { auroc, rocCurve, tprAtFpr } from './roc-stats.ts';
import type { Detector } from '@detector/detector-kit/schema.ts';
import type { Featurized } from './featurize.ts';
import { featureRows, labelsOf, scoreRows } from './fit-detector.ts';

export interface GroupMetrics {
  n: number;
  human: number;
  ai: number;
  auroc: number | null;
  tpr_at_1pct_fpr: number | null;
  tpr_at_5pct_fpr: number | null;
  /** Share answered: at least min_tokens and not out of distribution. */
  answered: number;
  /** Rates over answered texts at each profile's (per-text) threshold. */
  strict: { fpr: number | null; tpr: number | null };
  balanced: { fpr: number | null; tpr: number | null };
  /** Machine texts answered `human`, over answered machine texts. */
  miss_rate: number | null;
}

interface Verdict {
  answered: boolean;
  strict: boolean;
  balanced: boolean;
  /** Answered `human` (the same at both profiles). */
  human: boolean;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** Metrics of one group of scored texts, with the service's own answers for each. */
export function groupMetrics(scores: Float64Array, y: Uint8Array, verdicts: Verdict[]): GroupMetrics {
  const ai = y.reduce((a, b) => a + b, 0);
  const both = ai > 0 && ai < y.length;
  const rate = (profile: 'strict' | 'balanced' | 'human', label: 0 | 1) => {
    let n = 0,
      flagged = 0;
    verdicts.forEach((v, i) => {
      if (!v.answered || y[i] !== label) return;
      n++;
      if (v[profile]) flagged++;
    });
    return n ? flagged / n : null;
  };
  return {
    n: y.length,
    human: y.length - ai,
    ai,
    auroc: both ? finite(auroc(scores, y)) : null,
    tpr_at_1pct_fpr: both ? tprAtFpr(scores, y, PROFILE_FPR.strict) : null,
    tpr_at_5pct_fpr: both ? tprAtFpr(scores, y, PROFILE_FPR.balanced) : null,
    answered: verdicts.filter((v) => v.answered).length / Math.max(1, verdicts.length),
    strict: { fpr: rate('strict', 0), tpr: rate('strict', 1) },
    balanced: { fpr: rate('balanced', 0), tpr: rate('balanced', 1) },
    miss_rate: rate('human', 1),
  };
}

export function evaluateDetector(d: Detector, items: Featurized[]) {
  const scores = scoreRows({ standardizer: d.standardizer, head: d.head }, featureRows(items, d.features));
  const y = labelsOf(items);
  const verdicts: Verdict[] = items.map((it, i) => {
    const f = it.features;
    const inputs = { pooled: (l: number) => f.meanPooled.subarray(l * f.hidden, (l + 1) * f.hidden), series: f, text: it.text };
    const stats = d.local_calibration ? featureVector({ layers: [], pooling: 'mean', ...d.local_calibration.stats }, inputs) : new Float64Array(0);
    const x = { score: scores[i]!, stats, tokens: f.tokens };
    const strict = decideText(d, x, { profile: 'strict' }),
      balanced = decideText(d, x, { profile: 'balanced' });
    const answered = strict.reason !== 'too_short' && strict.reason !== 'out_of_distribution';
    return { answered, strict: strict.label === 'ai', balanced: balanced.label === 'ai', human: balanced.label === 'human' };
  });
  const pick = (idx: number[]) =>
    groupMetrics(
      Float64Array.from(idx, (i) => scores[i]!),
      Uint8Array.from(idx, (i) => y[i]!),
      idx.map((i) => verdicts[i]!),
    );
  const overall = pick(items.map((_, i) => i));
  const by = (field: 'domain' | 'generator' | 'attack') => {
    const keys = [...new Set(items.map((i) => i.example[field]).filter((k): k is string => typeof k === 'string'))].sort();
    if (keys.length === 0) return undefined;
    return Object.fromEntries(keys.map((k) => [k, pick(items.map((it, i) => (it.example[field] === k ? i : -1)).filter((i) => i >= 0))]));
  };
  const shortTexts = items.filter((it) => it.features.tokens < d.min_tokens).length;
  const outOfDistribution = verdicts.filter((v, i) => !v.answered && items[i]!.features.tokens >= d.min_tokens).length;
  return {
    scores,
    y,
    overall,
    by_domain: by('domain'),
    by_generator: by('generator'),
    by_attack: by('attack'),
    too_short: shortTexts,
    out_of_distribution: outOfDistribution,
    roc: overall.auroc === null ? null : rocCurve(scores, y),
  };
}
