import { describe, expect, it } from 'vitest';
import { auroc } from '../roc-stats.ts';
import { lbfgs } from './lbfgs.ts';
import { logisticScore, mlpScore } from '@detector/detector-kit/heads.ts';
import { fitLogistic } from './logistic.ts';
import { fitMlp, rng } from './mlp.ts';

function blobs(n: number, d: number, shift: number, seed: number) {
  const r = rng(seed);
  const g = () => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const X: Float64Array[] = [],
    y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    X.push(Float64Array.from({ length: d }, (_, j) => g() + (y[i] && j < 2 ? shift : 0)));
  }
  return { X, y };
}

describe('lbfgs', () => {
  it('finds the minimum of a convex quadratic', () => {
    const target = [3, -2, 0.5];
    const { x } = lbfgs((v, g) => {
      let f = 0;
      for (let i = 0; i < 3; i++) {
        const d = v[i]! - target[i]!;
        f += (i + 1) * d * d;
        g[i] = 2 * (i + 1) * d;
      }
      return f;
    }, new Float64Array(3));
    x.forEach((v, i) => expect(v).toBeCloseTo(target[i]!, 4));
  });
});

describe('logistic regression', () => {
  it('separates shifted blobs and puts weight on the informative features', () => {
    const { X, y } = blobs(400, 6, 2.5, 7);
    const m = fitLogistic(X, y, { l2: 1e-3 });
    const s = X.map((x) => logisticScore(m, x));
    expect(auroc(s, y)).toBeGreaterThan(0.95);
    expect(Math.abs(m.weights[0]!)).toBeGreaterThan(5 * Math.abs(m.weights[5]!));
  });

  it('shrinks weights as the penalty grows', () => {
    const { X, y } = blobs(200, 4, 2, 3);
    const norm = (l2: number) => Math.hypot(...fitLogistic(X, y, { l2 }).weights);
    expect(norm(1)).toBeLessThan(norm(1e-3));
  });
});

describe('mlp', () => {
  it('learns a boundary a linear model cannot (XOR of two features)', () => {
    const r = rng(5);
    const X: Float64Array[] = [],
      y = new Uint8Array(600);
    for (let i = 0; i < 600; i++) {
      const a = r() * 2 - 1,
        b = r() * 2 - 1;
      X.push(Float64Array.from([a, b]));
      y[i] = a * b > 0 ? 1 : 0;
    }
    const lin = fitLogistic(X, y, { l2: 1e-4 });
    const mlp = fitMlp(X, y, { hidden: 16, l2: 1e-5, epochs: 60, lr: 1e-2, seed: 2 });
    expect(
      auroc(
        X.map((x) => logisticScore(lin, x)),
        y,
      ),
    ).toBeLessThan(0.7);
    expect(
      auroc(
        X.map((x) => mlpScore(mlp, x)),
        y,
      ),
    ).toBeGreaterThan(0.95);
  });
});

describe('Platt scaling', () => {
  it('stays finite on widely spread, well separated scores and keeps their order', async () => {
    const { fitPlatt } = await import('../fit-detector.ts');
    const scores = [-15, -12, -3, -1, 0.5, 1, 2, 3, 8, 20, 25];
    const y = [0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1];
    const { a, b } = fitPlatt(scores, y);
    expect(Number.isFinite(a) && Number.isFinite(b)).toBe(true);
    expect(a).toBeGreaterThan(0);
    const p = (s: number) => 1 / (1 + Math.exp(-(a * s + b)));
    expect(p(10)).toBeGreaterThan(0.9);
    expect(p(-10)).toBeLessThan(0.1);
  });
});
