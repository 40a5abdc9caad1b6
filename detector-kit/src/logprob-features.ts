import type { LOGPROB_STATS } from './schema.ts';

export type LogprobStat = (typeof LOGPROB_STATS)[number];

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Statistics of the per-token series that do not grow with length, so short and long texts
 * sit on one scale. `from`/`to` select a token range (a window or a sentence).
 */
export function logprobFeatures(
  series: { logprob: ArrayLike<number>; expected: ArrayLike<number>; variance: ArrayLike<number> },
  from = 0,
  to = series.logprob.length,
): Record<LogprobStat, number> {
  const n = Math.max(0, to - from);
  const lps = new Float64Array(n);
  let sLp = 0,
    sLp2 = 0,
    sEnt = 0,
    sEnt2 = 0,
    sDiff = 0,
    sVar = 0,
    sNorm = 0,
    top = 0;
  for (let i = 0; i < n; i++) {
    const lp = series.logprob[from + i]!,
      e = series.expected[from + i]!,
      v = series.variance[from + i]!;
    lps[i] = lp;
    sLp += lp;
    sLp2 += lp * lp;
    sEnt += -e;
    sEnt2 += e * e;
    sDiff += lp - e;
    sVar += v;
    sNorm += (lp - e) / Math.sqrt(v + 1e-6);
    // A token at least as likely as the distribution's typical token.
    if (lp >= e) top++;
  }
  lps.sort();
  const d = Math.max(1, n);
  const mLp = sLp / d,
    mEnt = sEnt / d;
  return {
    mean_logprob: mLp,
    std_logprob: Math.sqrt(Math.max(0, sLp2 / d - mLp * mLp)),
    mean_entropy: mEnt,
    std_entropy: Math.sqrt(Math.max(0, sEnt2 / d - mEnt * mEnt)),
    // The Fast-DetectGPT criterion divided by sqrt(n): the same evidence per token at any length.
    fast_detectgpt_per_token: n ? sDiff / Math.sqrt(sVar + 1e-6) / Math.sqrt(n) : 0,
    mean_normalized_logprob: sNorm / d,
    logprob_q10: quantile(lps, 0.1),
    logprob_q25: quantile(lps, 0.25),
    logprob_q50: quantile(lps, 0.5),
    logprob_q75: quantile(lps, 0.75),
    logprob_q90: quantile(lps, 0.9),
    frac_top_token: top / d,
    log_tokens: Math.log(1 + n),
  };
}
