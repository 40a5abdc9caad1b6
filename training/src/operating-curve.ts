import { humanThresholdAt, neighbourhood, thresholdAt } from '@detector/detector-kit/local-calibration.ts';
import type { LengthBandRates, LocalCalibration, OperatingPoint } from '@detector/detector-kit/schema.ts';
import { NON_NATIVE_UNITS } from './sources.ts';
import type { SourceRow } from './source-validation.ts';

/**
 * The operating curve, measured source by source: for every candidate level of the per-text
 * thresholds (and of the rule that says `human`), how often a source's human texts are flagged and
 * its machine texts caught or called human, when its texts are judged by references that never
 * include it. Profiles are points picked on this curve; `max_fpr` picks among its points.
 */

/** Conformal levels of the nearest human references' scores, weakest first. */
export const LEVELS = [0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.9925, 0.995, 0.9975, 0.999] as const;
/** Quantiles of the nearest machine references' scores below which a text is called human. */
export const HUMAN_LEVELS = [0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2] as const;
/** Length bands in tokens: [edge_i, edge_{i+1}), the last open-ended. */
export const LENGTH_EDGES = [0, 120, 200, 400] as const;

export const bandIndex = (tokens: number) => {
  let b = 0;
  while (b + 1 < LENGTH_EDGES.length && tokens >= LENGTH_EDGES[b + 1]!) b++;
  return b;
};

/** Every row of one left-out source with its thresholds at every level. */
export interface UnitMeasure {
  unit: string;
  rows: number[];
  answered: boolean[];
  ood: boolean[];
  /** [level][row] */
  thresholds: Float64Array[];
  /** [human level][row]; NaN where the calibration has no machine references. */
  humanThresholds: Float64Array[];
}

export function measureUnit(unit: string, cal: LocalCalibration, rows: SourceRow[], idx: number[], minTokens: number): UnitMeasure {
  const thresholds = LEVELS.map(() => new Float64Array(idx.length));
  const humanThresholds = HUMAN_LEVELS.map(() => new Float64Array(idx.length));
  const answered: boolean[] = [],
    ood: boolean[] = [];
  // The human rule reads the nearest machine references; measure at its largest neighbourhood.
  const probe: LocalCalibration = cal.human_rule
    ? cal
    : { ...cal, human_rule: { level: 0.05, neighbours: Math.min(300, cal.machine_scores.length), miss_rate: 0, bands: [] } };
  idx.forEach((i, k) => {
    const n = neighbourhood(probe, rows[i]!.stats);
    LEVELS.forEach((lv, j) => (thresholds[j]![k] = thresholdAt(n, lv)));
    HUMAN_LEVELS.forEach((lv, j) => (humanThresholds[j]![k] = humanThresholdAt(n, lv) ?? Number.NaN));
    ood.push(n.outOfDistribution);
    answered.push(!n.outOfDistribution && rows[i]!.tokens >= minTokens);
  });
  return { unit, rows: idx, answered, ood, thresholds, humanThresholds };
}

export interface Counts {
  human: number;
  machine: number;
  fp: number;
  tp: number;
  /** Machine texts answered `human`, humans answered `human`. */
  missed: number;
  humanSaid: number;
}

const zero = (): Counts => ({ human: 0, machine: 0, fp: 0, tp: 0, missed: 0, humanSaid: 0 });

/** Counts over a unit's answered rows at one level (and one human level), optionally in one length band. */
export function countsAt(m: UnitMeasure, rows: SourceRow[], scores: ArrayLike<number>, level: number, humanLevel: number, band?: number): Counts {
  const c = zero();
  const li = LEVELS.indexOf(level as (typeof LEVELS)[number]);
  const hi = HUMAN_LEVELS.indexOf(humanLevel as (typeof HUMAN_LEVELS)[number]);
  if (li < 0 || hi < 0) throw new Error(`level ${level} or human level ${humanLevel} is not on the measured grid`);
  m.rows.forEach((i, k) => {
    if (!m.answered[k]) return;
    if (band !== undefined && bandIndex(rows[i]!.tokens) !== band) return;
    const s = scores[i]!;
    const t = m.thresholds[li]![k]!;
    const h = Math.min(Number.isNaN(m.humanThresholds[hi]![k]!) ? t : m.humanThresholds[hi]![k]!, t);
    const flagged = s >= t,
      human = s < h;
    if (rows[i]!.y === 1) {
      c.machine++;
      if (flagged) c.tp++;
      if (human) c.missed++;
    } else {
      c.human++;
      if (flagged) c.fp++;
      if (human) c.humanSaid++;
    }
  });
  return c;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const quantile = (xs: number[], q: number) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

export interface CurveSummary {
  /** Mean FPR over units with human text, its 90th percentile, share of units within `bound`. */
  fpr: number;
  fprP90: number;
  /** Pooled FPR over the non-native units present. */
  nonNativeFpr: number | null;
  tpr: number;
  missRate: number;
}

export function summarizeAt(measures: UnitMeasure[], rows: SourceRow[], scores: ArrayLike<number>, level: number, humanLevel: number): CurveSummary {
  const per = measures.map((m) => ({ unit: m.unit, c: countsAt(m, rows, scores, level, humanLevel) }));
  const withHuman = per.filter((p) => p.c.human > 0);
  const withMachine = per.filter((p) => p.c.machine > 0);
  const nn = per.filter((p) => (NON_NATIVE_UNITS as readonly string[]).includes(p.unit) && p.c.human > 0);
  const nnHuman = nn.reduce((a, p) => a + p.c.human, 0);
  return {
    fpr: mean(withHuman.map((p) => p.c.fp / p.c.human)),
    fprP90: quantile(
      withHuman.map((p) => p.c.fp / p.c.human),
      0.9,
    ),
    nonNativeFpr: nnHuman ? nn.reduce((a, p) => a + p.c.fp, 0) / nnHuman : null,
    tpr: mean(withMachine.map((p) => p.c.tp / p.c.machine)),
    missRate: mean(withMachine.map((p) => p.c.missed / p.c.machine)),
  };
}

/** What a profile promises: FPR at or under `bound` on `share` of human sources and on non-native writing, and a mean within `meanBound`. */
export interface Promise_ {
  bound: number;
  share: number;
  meanBound: number;
}

export const STRICT_PROMISE: Promise_ = { bound: 0.02, share: 0.9, meanBound: 0.02 };
export const BALANCED_PROMISE: Promise_ = { bound: 0.1, share: 0.9, meanBound: 0.1 };
/** `human` may be said of at most this share of machine text from unseen sources. */
export const MAX_MISS_RATE = 0.05;

function holds(measures: UnitMeasure[], rows: SourceRow[], scores: ArrayLike<number>, level: number, p: Promise_): boolean {
  const rates = measures
    .map((m) => countsAt(m, rows, scores, level, HUMAN_LEVELS[0]))
    .filter((c) => c.human > 0)
    .map((c) => c.fp / c.human);
  const s = summarizeAt(measures, rows, scores, level, HUMAN_LEVELS[0]);
  const within = rates.filter((r) => r <= p.bound).length / Math.max(1, rates.length);
  return within >= p.share && s.fpr <= p.meanBound && (s.nonNativeFpr === null || s.nonNativeFpr <= p.bound);
}

/** The weakest level (the most power) at which the promise holds on these units; the strictest level if none. */
export function chooseLevel(measures: UnitMeasure[], rows: SourceRow[], scores: ArrayLike<number>, p: Promise_): number {
  return LEVELS.find((lv) => holds(measures, rows, scores, lv, p)) ?? LEVELS[LEVELS.length - 1]!;
}

/** The highest human level (the most `human` answers) whose mean miss rate stays within `MAX_MISS_RATE`. */
export function chooseHumanLevel(measures: UnitMeasure[], rows: SourceRow[], scores: ArrayLike<number>, level: number): number {
  let best: number = HUMAN_LEVELS[0];
  for (const hl of HUMAN_LEVELS) if (summarizeAt(measures, rows, scores, level, hl).missRate <= MAX_MISS_RATE) best = hl;
  return best;
}

function bandRates(measures: UnitMeasure[], rows: SourceRow[], scores: ArrayLike<number>, level: number, humanLevel: number): LengthBandRates[] {
  return LENGTH_EDGES.map((edge, b) => {
    const per = measures.map((m) => countsAt(m, rows, scores, level, humanLevel, b));
    const h = per.filter((c) => c.human > 0),
      mm = per.filter((c) => c.machine > 0);
    return {
      min_tokens: edge,
      max_tokens: LENGTH_EDGES[b + 1] ?? null,
      human: h.reduce((a, c) => a + c.human, 0),
      machine: mm.reduce((a, c) => a + c.machine, 0),
      fpr: h.length ? mean(h.map((c) => c.fp / c.human)) : null,
      tpr: mm.length ? mean(mm.map((c) => c.tp / c.machine)) : null,
    };
  });
}

/** Every measured level as an operating point, with its rates by length band. */
export function operatingPoints(measures: UnitMeasure[], rows: SourceRow[], scores: ArrayLike<number>, humanLevel: number): OperatingPoint[] {
  return LEVELS.map((level) => {
    const s = summarizeAt(measures, rows, scores, level, humanLevel);
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    return {
      level,
      fpr: r4(s.fpr),
      fpr_p90: r4(s.fprP90),
      tpr: r4(s.tpr),
      bands: bandRates(measures, rows, scores, level, humanLevel).map((b) => ({
        ...b,
        fpr: b.fpr === null ? null : r4(b.fpr),
        tpr: b.tpr === null ? null : r4(b.tpr),
      })),
    };
  });
}

/** The human rule's miss rate by length band. */
export function missRateBands(measures: UnitMeasure[], rows: SourceRow[], scores: ArrayLike<number>, level: number, humanLevel: number) {
  return LENGTH_EDGES.map((edge, b) => {
    const per = measures.map((m) => countsAt(m, rows, scores, level, humanLevel, b)).filter((c) => c.machine > 0);
    return {
      min_tokens: edge,
      max_tokens: LENGTH_EDGES[b + 1] ?? null,
      human: per.reduce((a, c) => a + c.human, 0),
      machine: per.reduce((a, c) => a + c.machine, 0),
      miss_rate: per.length ? Math.round(mean(per.map((c) => c.missed / c.machine)) * 1e4) / 1e4 : null,
    };
  });
}
