import { sigmoid } from '@detector/detector-kit/heads.ts';
import { lbfgs } from './lbfgs.ts';

export interface LogisticModel {
  weights: Float64Array;
  bias: number;
}

/**
 * L2-regularised logistic regression on already standardised rows. `l2` is the penalty on the
 * weights per example (the bias is not penalised); `sampleWeights` rebalance classes or sources.
 */
export function fitLogistic(
  X: Float64Array[],
  y: Uint8Array,
  opts: { l2: number; sampleWeights?: Float64Array; maxIter?: number; init?: LogisticModel },
): LogisticModel {
  const n = X.length,
    d = X[0]!.length;
  const sw = opts.sampleWeights ?? new Float64Array(n).fill(1);
  const wsum = sw.reduce((a, b) => a + b, 0);
  const margins = new Float64Array(n);
  const f = (theta: Float64Array, grad: Float64Array) => {
    grad.fill(0);
    const b = theta[d]!;
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = X[i]!;
      let z = b;
      for (let j = 0; j < d; j++) z += row[j]! * theta[j]!;
      margins[i] = z;
      // log(1 + e^z) - y z, computed without overflow.
      loss += sw[i]! * ((z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))) - y[i]! * z);
      const r = sw[i]! * (sigmoid(z) - y[i]!);
      for (let j = 0; j < d; j++) grad[j]! += r * row[j]!;
      grad[d]! += r;
    }
    loss /= wsum;
    for (let j = 0; j <= d; j++) grad[j]! /= wsum;
    for (let j = 0; j < d; j++) {
      loss += 0.5 * opts.l2 * theta[j]! * theta[j]!;
      grad[j]! += opts.l2 * theta[j]!;
    }
    return loss;
  };
  // A warm start (a fit on nearly the same rows) converges in a fraction of the iterations.
  const x0 = new Float64Array(d + 1);
  if (opts.init) {
    x0.set(opts.init.weights);
    x0[d] = opts.init.bias;
  }
  const { x } = lbfgs(f, x0, { maxIter: opts.maxIter ?? 500, tol: 1e-7 });
  return { weights: x.slice(0, d), bias: x[d]! };
}
