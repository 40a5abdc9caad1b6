import { sigmoid } from '@detector/detector-kit/heads.ts';

export interface MlpModel {
  hidden: number;
  w1: Float64Array; // [hidden][inputs]
  b1: Float64Array;
  w2: Float64Array;
  b2: number;
}

/** Deterministic pseudo-random numbers so training runs repeat exactly. */
export function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One hidden layer with GELU-free ReLU, trained with Adam on mini-batches; small and auditable. */
export function fitMlp(
  X: Float64Array[],
  y: Uint8Array,
  opts: { hidden: number; l2: number; epochs: number; lr?: number; batch?: number; seed?: number; sampleWeights?: Float64Array },
): MlpModel {
  const n = X.length,
    d = X[0]!.length,
    h = opts.hidden;
  const rand = rng(opts.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const m: MlpModel = { hidden: h, w1: new Float64Array(h * d), b1: new Float64Array(h), w2: new Float64Array(h), b2: 0 };
  for (let i = 0; i < m.w1.length; i++) m.w1[i] = gauss() * Math.sqrt(2 / d);
  for (let i = 0; i < h; i++) m.w2[i] = gauss() * Math.sqrt(1 / h);
  const params = [m.w1, m.b1, m.w2];
  const mom = params.map((p) => new Float64Array(p.length)),
    vel = params.map((p) => new Float64Array(p.length));
  let mb2 = 0,
    vb2 = 0,
    t = 0;
  const lr = opts.lr ?? 1e-3,
    batch = opts.batch ?? 64,
    b1c = 0.9,
    b2c = 0.999;
  const sw = opts.sampleWeights ?? new Float64Array(n).fill(1);
  const order = Array.from({ length: n }, (_, i) => i);
  const act = new Float64Array(h);
  const grads = params.map((p) => new Float64Array(p.length));
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (let start = 0; start < n; start += batch) {
      for (const g of grads) g.fill(0);
      let gb2 = 0,
        wsum = 0;
      for (let k = start; k < Math.min(n, start + batch); k++) {
        const i = order[k]!,
          row = X[i]!;
        let z = m.b2;
        for (let u = 0; u < h; u++) {
          let a = m.b1[u]!;
          const off = u * d;
          for (let j = 0; j < d; j++) a += m.w1[off + j]! * row[j]!;
          act[u] = a > 0 ? a : 0;
          z += m.w2[u]! * act[u]!;
        }
        const r = sw[i]! * (sigmoid(z) - y[i]!);
        wsum += sw[i]!;
        gb2 += r;
        for (let u = 0; u < h; u++) {
          grads[2]![u]! += r * act[u]!;
          if (act[u]! > 0) {
            const gu = r * m.w2[u]!;
            grads[1]![u]! += gu;
            const off = u * d;
            for (let j = 0; j < d; j++) grads[0]![off + j]! += gu * row[j]!;
          }
        }
      }
      t++;
      const c1 = 1 - b1c ** t,
        c2 = 1 - b2c ** t;
      params.forEach((p, pi) => {
        const g = grads[pi]!,
          mo = mom[pi]!,
          ve = vel[pi]!;
        const decay = pi === 1 ? 0 : opts.l2;
        for (let j = 0; j < p.length; j++) {
          const gj = g[j]! / wsum + decay * p[j]!;
          mo[j] = b1c * mo[j]! + (1 - b1c) * gj;
          ve[j] = b2c * ve[j]! + (1 - b2c) * gj * gj;
          p[j]! -= (lr * (mo[j]! / c1)) / (Math.sqrt(ve[j]! / c2) + 1e-8);
        }
      });
      const g2 = gb2 / wsum;
      mb2 = b1c * mb2 + (1 - b1c) * g2;
      vb2 = b2c * vb2 + (1 - b2c) * g2 * g2;
      m.b2 -= (lr * (mb2 / c1)) / (Math.sqrt(vb2 / c2) + 1e-8);
    }
  }
  return m;
}
