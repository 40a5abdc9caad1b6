import { conformalIndex, localThresholds, nearestDistance } from '@detector/detector-kit/local-calibration.ts';
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
};

export interface SourceRow {
  unit: string;
  y: 0 | 1;
  tokens: number;
  /** The head's raw features. */
  x: Float64Array;
  /** The local calibration's raw statistics. */
  stats: Float64Array;
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
    neighbours: Math.min(recipe.neighbours, refs.length),
    k_distance: recipe.kDistance,
    max_distance: own[conformalIndex(own.length, recipe.oodQuantile)]!,
    strict_level: recipe.strictLevel,
    balanced_level: recipe.balancedLevel,
  };
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
  strict: { fpr: number | null; fpr_all_humans: number | null; tpr: number | null };
  balanced: { fpr: number | null; fpr_all_humans: number | null; tpr: number | null };
  /** Counts behind the rates, for pooling. */
  counts: { human_answered: number; ai_answered: number; strict_fp: number; strict_tp: number; balanced_fp: number; balanced_tp: number };
}

export interface Decision {
  answered: boolean;
  ood: boolean;
  strict: boolean;
  balanced: boolean;
}

/** The service's decision for one text, given its score, statistics and length. */
export function decideRow(cal: LocalCalibration, score: number, stats: Float64Array, tokens: number, minTokens: number): Decision {
  const t = localThresholds(cal, stats);
  return { answered: !t.outOfDistribution && tokens >= minTokens, ood: t.outOfDistribution, strict: score >= t.strict, balanced: score >= t.balanced };
}

export function unitResult(unit: string, rows: SourceRow[], scores: ArrayLike<number>, decisions: Decision[]): UnitResult {
  const y = rows.map((r) => r.y);
  const ai = y.filter((v) => v === 1).length,
    human = y.length - ai;
  const c = { human_answered: 0, ai_answered: 0, strict_fp: 0, strict_tp: 0, balanced_fp: 0, balanced_tp: 0 };
  let answered = 0,
    ood = 0,
    short = 0;
  decisions.forEach((d, i) => {
    if (d.ood) ood++;
    else if (!d.answered) short++;
    if (!d.answered) return;
    answered++;
    if (y[i]) {
      c.ai_answered++;
      if (d.strict) c.strict_tp++;
      if (d.balanced) c.balanced_tp++;
    } else {
      c.human_answered++;
      if (d.strict) c.strict_fp++;
      if (d.balanced) c.balanced_fp++;
    }
  });
  const rate = (a: number, b: number) => (b ? a / b : null);
  return {
    unit,
    human,
    ai,
    auroc: human && ai ? auroc(scores, y) : null,
    answered: answered / rows.length,
    out_of_distribution: ood / rows.length,
    too_short: short / rows.length,
    strict: { fpr: rate(c.strict_fp, c.human_answered), fpr_all_humans: rate(c.strict_fp, human), tpr: rate(c.strict_tp, c.ai_answered) },
    balanced: { fpr: rate(c.balanced_fp, c.human_answered), fpr_all_humans: rate(c.balanced_fp, human), tpr: rate(c.balanced_tp, c.ai_answered) },
    counts: c,
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
