/** Evaluation measures over scores where higher means "more likely machine-written". */

export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

/** Area under the ROC curve by the rank-sum (Mann-Whitney) formula, ties counted half. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0,
    pos = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++)
      if (labels[idx[k]!]) {
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
  let tp = 0,
    fp = 0;
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
  let tp = 0,
    fp = 0,
    P = 0,
    N = 0;
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
 * Weights that give every group (a human text's domain) the same total, so a threshold set with
 * them holds for a domain that is rare in the calibration data as much as for a common one.
 */
export function groupBalancedWeights(groups: readonly string[]): Float64Array {
  const counts = new Map<string, number>();
  for (const g of groups) counts.set(g, (counts.get(g) ?? 0) + 1);
  return Float64Array.from(groups, (g) => 1 / (counts.size * counts.get(g)!));
}

/**
 * The threshold that flags at most `fpr` of held-out human scores. It is the conformal quantile:
 * the new text counts as one more point, so the rate holds on new human text, not just on this
 * sample. Unweighted, that is rank ceil((n+1)(1-fpr)). With weights (say, one share per domain),
 * the new text gets the largest weight any point has, because it may come from the rarest domain.
 */
export function thresholdAtFpr(humanScores: ArrayLike<number>, fpr: number, weights?: ArrayLike<number>): number {
  const n = humanScores.length;
  const w = weights ? Float64Array.from(weights) : new Float64Array(n).fill(1);
  let total = 0,
    wMax = 0;
  for (const v of w) {
    total += v;
    wMax = Math.max(wMax, v);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => humanScores[a]! - humanScores[b]!);
  const mass = total + wMax;
  let cum = 0;
  for (const i of order) {
    cum += w[i]!;
    // Flag strictly above the first score whose cumulative share reaches 1 - fpr. The slack
    // absorbs rounding in the running sum, which would otherwise push an exact rank one higher.
    if (cum / mass >= 1 - fpr - 1e-12) return humanScores[i]! + 1e-9;
  }
  return humanScores[order[n - 1]!]! + 1e-9;
}

/** The share of (weighted) human scores flagged at a threshold. */
export function weightedFprAt(humanScores: ArrayLike<number>, threshold: number, weights: ArrayLike<number>): number {
  let flagged = 0,
    total = 0;
  for (let i = 0; i < humanScores.length; i++) {
    total += weights[i]!;
    if (humanScores[i]! >= threshold) flagged += weights[i]!;
  }
  return total ? flagged / total : NaN;
}

/**
 * The best true-positive rate while the weighted human false-positive rate stays at or under
 * `fpr`: tprAtFpr where each human text counts by its weight (1 for every "ai" text).
 */
export function tprAtWeightedFpr(scores: ArrayLike<number>, labels: ArrayLike<number>, fpr: number, humanWeights: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let P = 0,
    N = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]) P++;
    else N += humanWeights[i]!;
  }
  let tp = 0,
    fp = 0,
    best = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (labels[i]) tp++;
    else fp += humanWeights[i]!;
    const next = idx[k + 1];
    if ((next === undefined || scores[next] !== scores[i]) && fp / N <= fpr + 1e-12) best = Math.max(best, tp / P);
  }
  return P && N ? best : NaN;
}
