import type { Label, Profile } from '@detector/contract';
import { sigmoid } from './heads.ts';
import { humanThresholdAt, neighbourhood, thresholdAt } from './local-calibration.ts';
import type { Detector, LengthBandRates, LocalCalibration, OperatingPoint } from './schema.ts';

/**
 * The decision rule, in one place for the service and for training's measurements: from a text's
 * score, its calibration statistics and its length to a label, the thresholds behind it, the
 * rates stated for it, and a probability that never points the other way from the label.
 */
export interface DecideOptions {
  profile: Profile;
  /** The caller's own false-positive rate; picks the operating point instead of the profile's. */
  maxFpr?: number;
}

export type UncertainReason = 'between_thresholds' | 'out_of_distribution' | 'too_short';

export interface TextDecision {
  label: Label;
  reason: UncertainReason | null;
  /** At or above this score the text is called `ai`. */
  threshold: number;
  /** Below this score the text is called `human`; null where the detector has no rule for it. */
  humanThreshold: number | null;
  level: number;
  /** The false-positive rate stated for this answer: its length band's, measured leave-one-source-out. */
  fpr: number;
  /** The share of machine text from unseen sources answered `human`, for this length band. */
  missRate: number | null;
  band: { min_tokens: number; max_tokens: number | null } | null;
  /** False when `maxFpr` asked for less than any measured operating point gives. */
  maxFprMet: boolean;
  probability: number;
  /** Maps another score of this text (a window's, a sentence's share) to a probability. */
  toProbability: (score: number) => number;
}

/**
 * The operating point for a request: the profile's level, or the most powerful level whose rate,
 * as measured for texts of this length (`tokens`, where given), is within `maxFpr`.
 */
export function operatingLevel(d: Detector, opts: DecideOptions, tokens?: number): { level: number; point: OperatingPoint | null; met: boolean } {
  const cal = d.local_calibration;
  if (!cal) return { level: 0, point: null, met: opts.maxFpr === undefined };
  const points = cal.operating_points;
  if (opts.maxFpr !== undefined && points.length > 0) {
    const ok = points.find((p) => pointFpr(p, tokens) <= opts.maxFpr!);
    if (ok) return { level: ok.level, point: ok, met: true };
    const last = points[points.length - 1]!;
    return { level: last.level, point: last, met: false };
  }
  const level = opts.profile === 'strict' ? cal.strict_level : cal.balanced_level;
  return { level, point: points.find((p) => Math.abs(p.level - level) < 1e-9) ?? null, met: opts.maxFpr === undefined };
}

function bandOf<T extends { min_tokens: number; max_tokens: number | null }>(bands: T[], tokens: number): T | null {
  return bands.find((b) => tokens >= b.min_tokens && (b.max_tokens === null || tokens < b.max_tokens)) ?? null;
}

/** Bands with too few texts to measure a rate fall back to the point's overall rate. */
const MIN_BAND_TEXTS = 100;

/** A point's rate for texts of this length: its band's where enough texts were measured, else the overall one. */
function pointFpr(point: OperatingPoint, tokens: number | undefined): number {
  const band = tokens === undefined ? null : bandOf(point.bands, tokens);
  return band && band.fpr !== null && band.human >= MIN_BAND_TEXTS ? band.fpr : point.fpr;
}

function statedFpr(d: Detector, opts: DecideOptions, point: OperatingPoint | null, tokens: number): { fpr: number; band: LengthBandRates | null } {
  if (!point) return { fpr: d.thresholds[opts.profile].fpr, band: null };
  return { fpr: pointFpr(point, tokens), band: bandOf(point.bands, tokens) };
}

function statedMissRate(cal: LocalCalibration | undefined, tokens: number): number | null {
  const rule = cal?.human_rule;
  if (!rule) return null;
  const band = bandOf(rule.bands, tokens);
  return band && band.miss_rate !== null && band.machine >= MIN_BAND_TEXTS ? band.miss_rate : rule.miss_rate;
}

/** A probability inside the label's side: `ai` never below one half, `human` never above, `uncertain` away from both ends. */
function agreeing(label: Label, p: number): number {
  if (label === 'ai') return Math.max(p, 0.5);
  if (label === 'human') return Math.min(p, 0.5);
  return Math.min(0.8, Math.max(0.2, p));
}

export interface DecisionInputs {
  score: number;
  /** The calibration's statistics, raw, in `local_calibration.stats` order (ignored without one). */
  stats: ArrayLike<number>;
  tokens: number;
}

export function decideText(d: Detector, x: DecisionInputs, opts: DecideOptions): TextDecision {
  const cal = d.local_calibration;
  const { level, point, met } = operatingLevel(d, opts, x.tokens);
  let threshold: number, balanced: number, humanThreshold: number | null, ood: boolean;
  if (cal) {
    const n = neighbourhood(cal, x.stats);
    threshold = thresholdAt(n, level);
    balanced = thresholdAt(n, cal.balanced_level);
    const h = cal.human_rule ? humanThresholdAt(n, cal.human_rule.level) : null;
    // `human` is never said at or above a flagging threshold; without a machine rule, below the balanced one.
    humanThreshold = Math.min(h ?? balanced, balanced, threshold);
    ood = n.outOfDistribution;
  } else {
    threshold = d.thresholds[opts.profile].score;
    balanced = d.thresholds.balanced.score;
    humanThreshold = Math.min(balanced, threshold);
    ood = false;
  }
  let label: Label = x.score >= threshold ? 'ai' : x.score < humanThreshold ? 'human' : 'uncertain';
  let reason: UncertainReason | null = label === 'uncertain' ? 'between_thresholds' : null;
  if (ood) (label = 'uncertain'), (reason = 'out_of_distribution');
  if (x.tokens < d.min_tokens) (label = 'uncertain'), (reason = 'too_short');
  const { fpr, band } = statedFpr(d, opts, point, x.tokens);
  const raw = (s: number) => sigmoid(d.calibration.a * (d.calibration.on === 'margin' ? s - balanced : s) + d.calibration.b);
  return {
    label,
    reason,
    threshold,
    humanThreshold,
    level,
    fpr,
    missRate: statedMissRate(cal, x.tokens),
    band: band ? { min_tokens: band.min_tokens, max_tokens: band.max_tokens } : null,
    maxFprMet: met,
    probability: agreeing(label, raw(x.score)),
    toProbability: raw,
  };
}
