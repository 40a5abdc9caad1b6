/** Per-feature mean and scale from training rows; constant features get scale 1 so they stay 0. */
export function fitStandardizer(X: Float64Array[]): { mean: Float64Array; scale: Float64Array } {
  const d = X[0]!.length,
    n = X.length;
  const mean = new Float64Array(d),
    sq = new Float64Array(d);
  for (const row of X) for (let j = 0; j < d; j++) mean[j]! += row[j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  for (const row of X) for (let j = 0; j < d; j++) sq[j]! += (row[j]! - mean[j]!) ** 2;
  const scale = sq.map((s) => {
    const sd = Math.sqrt(s / n);
    return sd > 1e-9 ? sd : 1;
  });
  return { mean, scale };
}
