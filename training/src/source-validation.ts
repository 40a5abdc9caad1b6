import { conformalIndex, nearestDistance } from '@detector/detector-kit/local-calibration.ts';
import { countsAt, type UnitMeasure } from './operating-curve.ts';
import { fitLogistic, type LogisticModel } from './fit/logistic.ts';
import { auroc } from './roc-stats.ts';
import type { LocalCalibration } from '@detector/detector-kit/schema.ts';
import { standardize } from '@detector/detector-kit/standardize.ts';
import { fitStandardizer } from './fit/standardizer.ts';
import { NON_NATIVE_UNITS } from './sources.ts';

/**
 * The recipe measured source by source: every number it reports about a source comes from a model,
 * and thresholds, that never saw that source.
 */
export interface Recipe {
  /** L2 penalty per example of the logistic head. */
  l2: number;
  /** detect-v1's domains weigh this much more than other sources (its pairs cover most generators). */
  v1Weight: number;
  /** Human reference texts whose scores set a text's thresholds. */
  neighbours: number;
  strictLevel: number;
  balancedLevel: number;
  /** Share of references that count as in-distribution by their own distance to the others. */
  oodQuantile: number;
  kDistance: number;
  minTokens: number;
  maxReferences: number;
  /** Machine-written references, used only to judge distance. */
  maxMachineReferences: number;
  /** References whose own distances set the out-of-distribution limit. */
  distanceSample: number;
  maxIter: number;
  /** Machine references whose scores set the level below which `human` is said. */
  machineNeighbours: number;
  /** Layers whose pooled states the head reads; all when absent. */
  layers?: number[];
  /** Text statistics left out of the head and the calibration (newline_rate is always 0 on the layout-free text). */
  dropStats: string[];
}

export const RECIPE: Recipe = {
  l2: 1e-3,
  v1Weight: 4,
  neighbours: 600,
  strictLevel: 0.999,
  balancedLevel: 0.95,
  oodQuantile: 0.98,
  kDistance: 10,
  minTokens: 50,
  maxReferences: 10000,
  maxMachineReferences: 4000,
  distanceSample: 2000,
  maxIter: 300,
  machineNeighbours: 300,
  dropStats: ['newline_rate'],
};

export interface SourceRow {
  unit: string;
  y: 0 | 1;
  tokens: number;
  /** The head's raw features. */
  x: Float64Array;
  /** The local calibration's raw statistics. */
  stats: Float64Array;
  /** Where the data names them: the genre and, for detect-v3, the style the generator was asked for. */
  domain?: string;
  style?: string;
}

/**
 * Every (source, label) cell gets the same total weight within its label and both labels weigh
 * alike: one-sided sources (only human, only machine) would otherwise teach topic, not authorship.
 */
export function sourceWeights(rows: Array<Pick<SourceRow, 'unit' | 'y'>>, v1Weight: number): Float64Array {
  const cells = new Map<string, number>();
  const unitsPerLabel = [new Set<string>(), new Set<string>()];
  for (const r of rows) {
    cells.set(`${r.y}:${r.unit}`, (cells.get(`${r.y}:${r.unit}`) ?? 0) + 1);
    unitsPerLabel[r.y]!.add(r.unit);
  }
  const w = Float64Array.from(rows, (r) => (1 / (unitsPerLabel[r.y]!.size * cells.get(`${r.y}:${r.unit}`)!)) * (r.unit.startsWith('v1_') ? v1Weight : 1));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((v) => (v * rows.length) / total);
}

export interface FittedModel {
  standardizer: { mean: Float64Array; scale: Float64Array };
  model: LogisticModel;
}

export function fitRows(rows: SourceRow[], recipe: Recipe, init?: LogisticModel, standardizer?: FittedModel['standardizer']): FittedModel {
  const st = standardizer ?? fitStandardizer(rows.map((r) => r.x));
  const X = rows.map((r) => standardize(r.x, st));
  const y = Uint8Array.from(rows, (r) => r.y);
  const model = fitLogistic(X, y, { l2: recipe.l2, sampleWeights: sourceWeights(rows, recipe.v1Weight), maxIter: recipe.maxIter, init });
  return { standardizer: st, model };
}

export function scoreRow(m: FittedModel, x: Float64Array): number {
  let z = m.model.bias;
  for (let j = 0; j < x.length; j++) z += m.model.weights[j]! * ((x[j]! - m.standardizer.mean[j]!) / m.standardizer.scale[j]!);
  return z;
}

/**
 * Each row's score from a model fitted without its source. The fits start from the model fitted
 * on everything and keep its standardiser (a per-feature shift and scale, no labels involved), so
 * twenty refits cost a few full fits.
 */
export function leaveOneSourceOutScores(rows: SourceRow[], full: FittedModel, recipe: Recipe, onUnit?: (unit: string) => void): Float64Array {
  const scores = new Float64Array(rows.length);
  for (const unit of [...new Set(rows.map((r) => r.unit))].sort()) {
    onUnit?.(unit);
    const m = fitRows(
      rows.filter((r) => r.unit !== unit),
      recipe,
      full.model,
      full.standardizer,
    );
    rows.forEach((r, i) => {
      if (r.unit === unit) scores[i] = scoreRow(m, r.x);
    });
  }
  return scores;
}

/** A fixed, evenly spread subset of at most `max` indexes. */
function spread(idx: number[], max: number): number[] {
  if (idx.length <= max) return idx;
  return Array.from({ length: max }, (_, k) => idx[Math.floor((k * idx.length) / max)]!);
}

/**
 * The local calibration from the human texts among `pool`: their standardised statistics, their
 * out-of-source scores, and the distance within which a new text counts as familiar.
 */
export function buildLocalCalibration(
  rows: SourceRow[],
  scores: Float64Array,
  pool: number[],
  recipe: Recipe,
  stats: LocalCalibration['stats'],
): LocalCalibration {
  const st = fitStandardizer(pool.map((i) => rows[i]!.stats));
  const usable = pool.filter((i) => rows[i]!.tokens >= recipe.minTokens);
  const refs = spread(
    usable.filter((i) => rows[i]!.y === 0),
    recipe.maxReferences,
  );
  const machine = spread(
    usable.filter((i) => rows[i]!.y === 1),
    recipe.maxMachineReferences,
  );
  const dim = st.mean.length;
  const round = (v: number) => Math.round(v * 1e3) / 1e3;
  const pack = (idx: number[]) => {
    const p = new Float64Array(idx.length * dim);
    idx.forEach((i, k) => p.set(standardize(rows[i]!.stats, st).map(round), k * dim));
    return p;
  };
  const points = pack(refs),
    machinePoints = pack(machine);
  // The scale of "familiar": how far references are from their nearest fellow references
  // (leaving themselves out), on a fixed sample of them.
  const probe = spread([...refs.keys()].map((k) => k).concat(machine.map((_, k) => refs.length + k)), recipe.distanceSample);
  const own = Float64Array.from(probe, (k) => {
    const src = k < refs.length ? points : machinePoints;
    const off = (k < refs.length ? k : k - refs.length) * dim;
    const z = src.slice(off, off + dim);
    // One more neighbour than needed: the nearest is the reference itself, at distance 0.
    return (nearestDistance(z, points, machinePoints, recipe.kDistance + 1) * (recipe.kDistance + 1)) / recipe.kDistance;
  }).sort();
  return {
    stats,
    mean: Array.from(st.mean),
    scale: Array.from(st.scale),
    points: Array.from(points),
    scores: refs.map((i) => Math.round(scores[i]! * 1e4) / 1e4),
    machine_points: Array.from(machinePoints),
    machine_scores: machine.map((i) => Math.round(scores[i]! * 1e4) / 1e4),
    operating_points: [],
    neighbours: Math.min(recipe.neighbours, refs.length),
    k_distance: recipe.kDistance,
    max_distance: own[conformalIndex(own.length, recipe.oodQuantile)]!,
    strict_level: recipe.strictLevel,
    balanced_level: recipe.balancedLevel,
  };
}

export interface ProfileRates {
  fpr: number | null;
  fpr_all_humans: number | null;
  tpr: number | null;
}

export interface UnitResult {
  unit: string;
  human: number;
  ai: number;
  auroc: number | null;
  /** Share of texts answered: long enough and not out of distribution. */
  answered: number;
  out_of_distribution: number;
  too_short: number;
  /** The levels this source was judged at, chosen on the other sources only. */
  levels: { strict: number; balanced: number; human: number };
  strict: ProfileRates;
  balanced: ProfileRates;
  /** Machine texts answered `human` (over answered machine texts), and human texts answered `human`. */
  miss_rate: number | null;
  human_said: number | null;
  /** Counts behind the rates, for pooling. */
  counts: { human_answered: number; ai_answered: number; strict_fp: number; strict_tp: number; balanced_fp: number; balanced_tp: number; missed: number };
}

export function unitResult(
  m: UnitMeasure,
  rows: SourceRow[],
  scores: ArrayLike<number>,
  levels: { strict: number; balanced: number; human: number },
): UnitResult {
  const idx = m.rows;
  const y = idx.map((i) => rows[i]!.y);
  const ai = y.filter((v) => v === 1).length,
    human = y.length - ai;
  const s = countsAt(m, rows, scores, levels.strict, levels.human);
  const b = countsAt(m, rows, scores, levels.balanced, levels.human);
  const ood = m.ood.filter(Boolean).length;
  const answered = m.answered.filter(Boolean).length;
  const rate = (a: number, n: number) => (n ? a / n : null);
  return {
    unit: m.unit,
    human,
    ai,
    auroc:
      human && ai
        ? auroc(
            idx.map((i) => scores[i]!),
            y,
          )
        : null,
    answered: answered / idx.length,
    out_of_distribution: ood / idx.length,
    too_short: (idx.length - answered - ood) / idx.length,
    levels,
    strict: { fpr: rate(s.fp, s.human), fpr_all_humans: rate(s.fp, human), tpr: rate(s.tp, s.machine) },
    balanced: { fpr: rate(b.fp, b.human), fpr_all_humans: rate(b.fp, human), tpr: rate(b.tp, b.machine) },
    miss_rate: rate(b.missed, b.machine),
    human_said: rate(b.humanSaid, b.human),
    counts: { human_answered: s.human, ai_answered: s.machine, strict_fp: s.fp, strict_tp: s.tp, balanced_fp: b.fp, balanced_tp: b.tp, missed: b.missed },
  };
}

export interface SourceSummary {
  human_sources: number;
  human_sources_strict_within_2pct: number;
  mean_auroc: number;
  mean_strict_fpr: number;
  mean_balanced_fpr: number;
  worst_strict_fpr: number;
  mean_strict_tpr: number;
  mean_balanced_tpr: number;
  human_sources_balanced_within_10pct: number;
  /** Mean over sources with machine text of the share answered `human`. */
  mean_miss_rate: number;
  /** Mean over human sources of the share of human texts answered `human`. */
  mean_human_said: number;
  answered: number;
  non_native: { sources: string[]; human_answered: number; strict_fpr: number; balanced_fpr: number; answered: number };
}

export function summarize(results: UnitResult[]): SourceSummary {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  const humanUnits = results.filter((r) => r.strict.fpr !== null);
  const nn = results.filter((r) => (NON_NATIVE_UNITS as readonly string[]).includes(r.unit));
  const sum = (xs: UnitResult[], f: (r: UnitResult) => number) => xs.reduce((a, r) => a + f(r), 0);
  const nnAnswered = sum(nn, (r) => r.counts.human_answered);
  return {
    human_sources: humanUnits.length,
    human_sources_strict_within_2pct: humanUnits.filter((r) => r.strict.fpr! <= 0.02).length,
    mean_auroc: mean(results.filter((r) => r.auroc !== null).map((r) => r.auroc!)),
    mean_strict_fpr: mean(humanUnits.map((r) => r.strict.fpr!)),
    mean_balanced_fpr: mean(humanUnits.map((r) => r.balanced.fpr!)),
    worst_strict_fpr: Math.max(...humanUnits.map((r) => r.strict.fpr!)),
    mean_strict_tpr: mean(results.filter((r) => r.strict.tpr !== null).map((r) => r.strict.tpr!)),
    mean_balanced_tpr: mean(results.filter((r) => r.balanced.tpr !== null).map((r) => r.balanced.tpr!)),
    human_sources_balanced_within_10pct: humanUnits.filter((r) => r.balanced.fpr! <= 0.1).length,
    mean_miss_rate: mean(results.filter((r) => r.miss_rate !== null).map((r) => r.miss_rate!)),
    mean_human_said: mean(humanUnits.filter((r) => r.human_said !== null).map((r) => r.human_said!)),
    answered: mean(results.map((r) => r.answered)),
    non_native: {
      sources: nn.map((r) => r.unit),
      human_answered: nnAnswered,
      strict_fpr: nnAnswered ? sum(nn, (r) => r.counts.strict_fp) / nnAnswered : NaN,
      balanced_fpr: nnAnswered ? sum(nn, (r) => r.counts.balanced_fp) / nnAnswered : NaN,
      answered: sum(nn, (r) => r.human) ? nnAnswered / sum(nn, (r) => r.human) : NaN,
    },
  };
}
