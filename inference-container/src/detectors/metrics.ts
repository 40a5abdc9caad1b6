/** Evaluation measures over scores where higher means "more likely machine-written". */

export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

/** Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties counted half. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0, pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]!]) {
      rankSumPos += avgRank;
      pos++;
    }
    i = j + 1;
  }
  const neg = scores.length - pos;
  if (pos === 0 || neg === 0) return NaN;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let P = 0;
  for (let i = 0; i < labels.length; i++) P += labels[i] ? 1 : 0;
  const N = labels.length - P;
  const pts: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0, fp = 0;
  for (let i = 0; i < idx.length; i++) {
    if (labels[idx[i]!]) tp++;
    else fp++;
    const next = idx[i + 1];
    if (next === undefined || scores[next] !== scores[idx[i]!]) pts.push({ fpr: N ? fp / N : 0, tpr: P ? tp / P : 0, threshold: scores[idx[i]!]! });
  }
  return pts;
}

/** The best true-positive rate reachable while the false-positive rate stays at or under `fpr`. */
export function tprAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number>, fpr: number): number {
  let best = 0;
  for (const p of rocCurve(scores, labels)) if (p.fpr <= fpr + 1e-12) best = Math.max(best, p.tpr);
  return best;
}

/** Rates at a fixed threshold (score >= threshold means "ai"). */
export function ratesAt(scores: ArrayLike<number>, labels: ArrayLike<number>, threshold: number): { fpr: number; tpr: number } {
  let tp = 0, fp = 0, P = 0, N = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i]! >= threshold;
    if (labels[i]) {
      P++;
      if (flagged) tp++;
    } else {
      N++;
      if (flagged) fp++;
    }
  }
  return { fpr: N ? fp / N : NaN, tpr: P ? tp / P : NaN };
}

/**
 * The threshold that flags at most `fpr` of held-out human scores. Uses the conformal quantile
 * (rank ceil((n+1)(1-fpr))) so the rate holds on new human text, not just on this sample.
 */
export function thresholdAtFpr(humanScores: ArrayLike<number>, fpr: number): number {
  const s = Float64Array.from(humanScores).sort();
  const n = s.length;
  const rank = Math.ceil((n + 1) * (1 - fpr));
  if (rank > n) return s[n - 1]! + 1e-9;
  // Flag strictly above the rank-th smallest human score.
  return s[rank - 1]! + 1e-9;
}
