import { logisticScore, mlpScore, sigmoid } from './heads.ts';
import type { Detector, Head } from './schema.ts';
import { standardize } from './standardize.ts';

/** Raw decision score of a detector for one raw feature vector. */
export function headScore(d: Pick<Detector, 'standardizer' | 'head'>, raw: ArrayLike<number>): number {
  return scoreStandardized(d.head, standardize(raw, d.standardizer));
}

export function scoreStandardized(head: Head, x: ArrayLike<number>): number {
  if (head.type === 'logistic_regression') return logisticScore(head, x);
  if (head.type === 'mlp') return mlpScore(head, x);
  let z = 0;
  for (const m of head.members) z += m.weight * scoreStandardized(m.head, x);
  return z;
}

export function probability(d: Pick<Detector, 'calibration'>, score: number): number {
  return sigmoid(d.calibration.a * score + d.calibration.b);
}
