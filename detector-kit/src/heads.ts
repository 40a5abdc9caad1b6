// Scoring with the trained heads; the fitting that produces them lives in the training package.

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

export function logisticScore(m: { weights: ArrayLike<number>; bias: number }, x: ArrayLike<number>): number {
  let z = m.bias;
  for (let j = 0; j < x.length; j++) z += m.weights[j]! * x[j]!;
  return z;
}

export function mlpScore(m: { hidden: number; w1: ArrayLike<number>; b1: ArrayLike<number>; w2: ArrayLike<number>; b2: number }, x: ArrayLike<number>): number {
  const d = x.length;
  let z = m.b2;
  for (let u = 0; u < m.hidden; u++) {
    let a = m.b1[u]!;
    const off = u * d;
    for (let j = 0; j < d; j++) a += m.w1[off + j]! * x[j]!;
    if (a > 0) z += m.w2[u]! * a;
  }
  return z;
}
