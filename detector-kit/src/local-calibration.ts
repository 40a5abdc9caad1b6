import { featureVector, type FeatureInputs } from './feature-vector.ts';
import type { Detector, LocalCalibration } from './schema.ts';

/**
 * Thresholds set by a text's neighbours, and the decision not to answer at all.
 *
 * One global threshold holds only for the mix of writing it was set on: measured leave-one-source-
 * out, human texts from a source the detector never saw sit higher or lower as a whole (news well
 * below, e-mail far above), so a single 1%-quantile flags 0% of one source and 20% of another.
 * Here each text is compared with the human texts that read most like it (nearest neighbours in
 * a small space of style and likelihood statistics), and its threshold is a high quantile of
 * their scores. Those reference scores come from models that never saw the reference's own
 * source, so a threshold set from them already carries the shift a new source brings.
 *
 * A text far from every reference (farther than all but a small share of the references are from
 * each other) is unlike anything calibrated; the service abstains on it (`out_of_distribution`).
 */
export interface LocalThresholds {
  strict: number;
  balanced: number;
  /** Mean distance to the nearest `k_distance` references, in standardised units. */
  distance: number;
  outOfDistribution: boolean;
}

function standardizedPoint(cal: LocalCalibration, raw: ArrayLike<number>): Float64Array {
  const z = new Float64Array(cal.mean.length);
  for (let j = 0; j < z.length; j++) z[j] = (raw[j]! - cal.mean[j]!) / cal.scale[j]!;
  return z;
}

/** Conformal rank for level `q` among `m` references: ceil((m + 1) q), as a 0-based index. */
export function conformalIndex(m: number, q: number): number {
  return Math.min(m - 1, Math.max(0, Math.ceil((m + 1) * q) - 1));
}

function squaredDistances(z: Float64Array, points: ArrayLike<number>): Float64Array {
  const dim = z.length,
    n = points.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const off = i * dim;
    for (let j = 0; j < dim; j++) {
      const d = z[j]! - points[off + j]!;
      s += d * d;
    }
    out[i] = s;
  }
  return out;
}

/** Mean of the `k` smallest distances, given squared distances to two sets of points. */
function nearestOf(a: Float64Array, b: Float64Array, k: number): number {
  const all = new Float64Array(a.length + b.length);
  all.set(a, 0);
  all.set(b, a.length);
  all.sort();
  let d = 0;
  for (let i = 0; i < k; i++) d += Math.sqrt(all[i]!);
  return d / k;
}

/** Mean distance from `z` to its `k` nearest points among human and machine references. */
export function nearestDistance(z: Float64Array, human: ArrayLike<number>, machine: ArrayLike<number>, k: number): number {
  return nearestOf(squaredDistances(z, human), squaredDistances(z, machine), k);
}

/**
 * The calibration with its reference points in Float64Arrays, for a service that holds it for
 * its whole life: the bundled detector's 550,000 coordinates cost about 24 bytes each as a parsed
 * JSON array (a pointer and a boxed number) and 8 here, and the distance loops read them faster.
 * The type still says number[]: everything that reads the points takes ArrayLike<number>, and a
 * served detector is never written back out.
 */
export function withPackedPoints(cal: LocalCalibration): LocalCalibration {
  return {
    ...cal,
    points: Float64Array.from(cal.points) as unknown as number[],
    machine_points: Float64Array.from(cal.machine_points) as unknown as number[],
  };
}

/**
 * What a text's neighbours say: the scores of its nearest human references (ascending), those of
 * its nearest machine references when the calibration carries them, and how far it is from all.
 */
export interface Neighbourhood {
  human: Float64Array;
  machine: Float64Array;
  distance: number;
  outOfDistribution: boolean;
}

/** `raw` holds the calibration's statistics in `cal.stats` order. */
export function neighbourhood(cal: LocalCalibration, raw: ArrayLike<number>): Neighbourhood {
  const z = standardizedPoint(cal, raw);
  const n = cal.scores.length,
    m = Math.min(cal.neighbours, n);
  const dist = squaredDistances(z, cal.points);
  const machineDist = squaredDistances(z, cal.machine_points);
  const distance = nearestOf(dist, machineDist, cal.k_distance);
  return {
    human: nearestScores(dist, cal.scores, m),
    machine: cal.human_rule && cal.machine_scores.length ? nearestScores(machineDist, cal.machine_scores, cal.human_rule.neighbours) : new Float64Array(0),
    distance,
    outOfDistribution: distance > cal.max_distance,
  };
}

/** The scores of the `m` points nearest by `dist`, ascending. */
function nearestScores(dist: Float64Array, scores: ArrayLike<number>, m: number): Float64Array {
  // A typed array sorts natively, far faster than sorting indexes with a comparator.
  const radius = Float64Array.from(dist).sort()[m - 1]!;
  const near: number[] = [];
  for (let i = 0; i < dist.length && near.length < m; i++) if (dist[i]! <= radius) near.push(scores[i]!);
  return Float64Array.from(near).sort();
}

/** The threshold at conformal `level` of a neighbourhood's human scores: flags above all but that share. */
export function thresholdAt(n: Neighbourhood, level: number): number {
  return n.human[conformalIndex(n.human.length, level)]! + 1e-9;
}

/** Below this score the text is unlike all but `level` of its nearest machine references. */
export function humanThresholdAt(n: Neighbourhood, level: number): number | null {
  if (n.machine.length === 0) return null;
  return n.machine[Math.min(n.machine.length - 1, Math.floor(level * n.machine.length))]!;
}

export function localThresholds(cal: LocalCalibration, raw: ArrayLike<number>): LocalThresholds {
  const n = neighbourhood(cal, raw);
  return {
    strict: thresholdAt(n, cal.strict_level),
    balanced: thresholdAt(n, cal.balanced_level),
    distance: n.distance,
    outOfDistribution: n.outOfDistribution,
  };
}

/**
 * The thresholds for one text: set by its nearest human references when the detector carries a
 * local calibration (with the verdict that the text is out of distribution), else the global ones.
 */
export function thresholdsFor(d: Detector, inputs: FeatureInputs): LocalThresholds {
  const cal = d.local_calibration;
  if (!cal) return { strict: d.thresholds.strict.score, balanced: d.thresholds.balanced.score, distance: 0, outOfDistribution: false };
  return localThresholds(cal, featureVector({ layers: [], pooling: 'mean', ...cal.stats }, inputs));
}
