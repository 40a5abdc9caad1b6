import { logisticScore, sigmoid } from './heads/logistic.ts';
import { mlpScore } from './heads/mlp.ts';
import type { Detector } from './schema.ts';
import { standardize } from './standardize.ts';

/** Raw decision score of a detector for one raw feature vector. */
export function headScore(d: Pick<Detector, 'standardizer' | 'head'>, raw: ArrayLike<number>): number {
  const x = standardize(raw, d.standardizer);
  return d.head.type === 'logistic_regression' ? logisticScore(d.head, x) : mlpScore(d.head, x);
}

export function probability(d: Pick<Detector, 'calibration'>, score: number): number {
  return sigmoid(d.calibration.a * score + d.calibration.b);
}
