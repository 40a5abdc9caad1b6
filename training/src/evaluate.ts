import { PROFILE_FPR } from '@detector/contract';
import { thresholdsFor } from '@detector/detector-kit/local-calibration.ts';
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
}

interface Verdict {
  answered: boolean;
  strict: boolean;
  balanced: boolean;
}

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** Metrics of one group of scored texts, with the service's own answers for each. */
export function groupMetrics(scores: Float64Array, y: Uint8Array, verdicts: Verdict[]): GroupMetrics {
  const ai = y.reduce((a, b) => a + b, 0);
  const both = ai > 0 && ai < y.length;
  const rate = (profile: 'strict' | 'balanced', label: 0 | 1) => {
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
  };
}

export function evaluateDetector(d: Detector, items: Featurized[]) {
  const scores = scoreRows({ standardizer: d.standardizer, head: d.head }, featureRows(items, d.features));
  const y = labelsOf(items);
  const verdicts: Verdict[] = items.map((it, i) => {
    const f = it.features;
    const t = thresholdsFor(d, { pooled: (l) => f.meanPooled.subarray(l * f.hidden, (l + 1) * f.hidden), series: f, text: it.text });
    return { answered: f.tokens >= d.min_tokens && !t.outOfDistribution, strict: scores[i]! >= t.strict, balanced: scores[i]! >= t.balanced };
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
