import { featureVector } from '@detector/detector-kit/feature-vector.ts';
import { scoreStandardized } from '@detector/detector-kit/head-score.ts';
import { fitLogistic } from './fit/logistic.ts';
import { fitMlp } from './fit/mlp.ts';
import type { FeatureSpec, Head, MemberHead } from '@detector/detector-kit/schema.ts';
import { standardize } from '@detector/detector-kit/standardize.ts';
import { fitStandardizer } from './fit/standardizer.ts';
import type { Featurized } from './featurize.ts';

export type MemberConfig = { type: 'logistic_regression'; l2: number } | { type: 'mlp'; l2: number; hidden?: number; epochs?: number };
export type HeadConfig = MemberConfig | { type: 'ensemble'; members: MemberConfig[] };

export interface FittedHead {
  standardizer: { mean: number[]; scale: number[] };
  head: Head;
}

/** Raw (unstandardised) feature rows for items, as serving computes them. */
export function featureRows(items: Featurized[], spec: FeatureSpec): Float64Array[] {
  return items.map((it) => {
    const f = it.features;
    return featureVector(spec, {
      pooled: (l) => f.meanPooled.subarray(l * f.hidden, (l + 1) * f.hidden),
      series: { logprob: f.logprob, expected: f.expected, variance: f.variance },
      text: it.text,
    });
  });
}

export const labelsOf = (items: Featurized[]) => Uint8Array.from(items, (it) => (it.example.label === 'ai' ? 1 : 0));

/** Weights that give both classes equal total weight, so the head is not biased by class counts. */
export function balancedWeights(y: Uint8Array): Float64Array {
  let pos = 0;
  for (const v of y) pos += v;
  const neg = y.length - pos;
  return Float64Array.from(y, (v) => (v ? y.length / (2 * pos) : y.length / (2 * neg)));
}

/**
 * Weights that give both classes equal total weight and, within a class, every group (domain)
 * an equal share, so a small domain counts as much as a large one.
 */
export function groupBalancedWeights(y: Uint8Array, groups: string[]): Float64Array {
  const cells = new Map<string, number>();
  const groupsPerLabel = [new Set<string>(), new Set<string>()];
  y.forEach((v, i) => {
    const k = `${v}:${groups[i]}`;
    cells.set(k, (cells.get(k) ?? 0) + 1);
    groupsPerLabel[v]!.add(groups[i]!);
  });
  return Float64Array.from(y, (v, i) => y.length / (2 * groupsPerLabel[v]!.size * cells.get(`${v}:${groups[i]}`)!));
}

export function fitHead(rows: Float64Array[], y: Uint8Array, cfg: HeadConfig, maxIter = 400, groups?: string[]): FittedHead {
  const st = fitStandardizer(rows);
  const X = rows.map((r) => standardize(r, st));
  const sampleWeights = groups ? groupBalancedWeights(y, groups) : balancedWeights(y);
  const standardizer = { mean: Array.from(st.mean), scale: Array.from(st.scale) };
  if (cfg.type !== 'ensemble') return { standardizer, head: fitMember(X, y, cfg, maxIter, sampleWeights) };
  const members = cfg.members.map((m) => fitMember(X, y, m, maxIter, sampleWeights));
  return {
    standardizer,
    head: {
      type: 'ensemble',
      members: ensembleWeights(members.map((m) => scoreSpread(X.map((x) => scoreStandardized(m, x))))).map((weight, i) => ({ weight, head: members[i]! })),
    },
  };
}

function fitMember(X: Float64Array[], y: Uint8Array, cfg: MemberConfig, maxIter: number, sampleWeights: Float64Array): MemberHead {
  if (cfg.type === 'logistic_regression') {
    const m = fitLogistic(X, y, { l2: cfg.l2, sampleWeights, maxIter });
    return { type: 'logistic_regression', weights: Array.from(m.weights), bias: m.bias, l2: cfg.l2 };
  }
  const m = fitMlp(X, y, { hidden: cfg.hidden ?? 32, l2: cfg.l2, epochs: cfg.epochs ?? 30, lr: 1e-3, batch: 64, seed: 17, sampleWeights });
  return { type: 'mlp', hidden: m.hidden, w1: Array.from(m.w1), b1: Array.from(m.b1), w2: Array.from(m.w2), b2: m.b2, l2: cfg.l2 };
}

/** Standard deviation of scores: an ensemble member's spread on its training rows. */
export function scoreSpread(scores: ArrayLike<number>): number {
  let s = 0,
    s2 = 0;
  for (let i = 0; i < scores.length; i++) {
    s += scores[i]!;
    s2 += scores[i]! * scores[i]!;
  }
  const mean = s / scores.length;
  return Math.sqrt(Math.max(s2 / scores.length - mean * mean, 1e-12));
}

/**
 * Member weights of an ensemble: each member's scores divided by their spread, then averaged, so
 * a confident head (an MLP's logits run several times wider than a linear head's) does not drown
 * out the others.
 */
export function ensembleWeights(spreads: number[]): number[] {
  return spreads.map((sd) => 1 / (spreads.length * sd));
}

export function scoreRows(h: FittedHead, rows: Float64Array[]): Float64Array {
  return Float64Array.from(rows, (r) => scoreStandardized(h.head, standardize(r, h.standardizer)));
}

/**
 * Platt scaling: p = sigmoid(a * score + b), fitted as a one-feature logistic regression on
 * held-out scores. Scores are standardised first and a tiny penalty keeps the fit finite: with
 * out-of-source scores spread over tens of units, plain Newton steps can run off to infinity.
 */
export function fitPlatt(scores: ArrayLike<number>, y: ArrayLike<number>): { a: number; b: number } {
  const n = scores.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += scores[i]!;
  mean /= n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (scores[i]! - mean) ** 2;
  const sd = Math.sqrt(sq / n) || 1;
  const X = Array.from({ length: n }, (_, i) => Float64Array.of((scores[i]! - mean) / sd));
  const m = fitLogistic(
    X,
    Uint8Array.from({ length: n }, (_, i) => y[i]!),
    { l2: 1e-6, maxIter: 200 },
  );
  const a = m.weights[0]! / sd;
  return { a, b: m.bias - a * mean };
}
