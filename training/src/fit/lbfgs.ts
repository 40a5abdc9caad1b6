/**
 * Limited-memory BFGS with a backtracking (Armijo) line search: the standard way to fit a
 * smooth convex loss such as L2-regularised logistic regression without a learning rate to tune.
 */
export interface LbfgsOptions {
  maxIter: number;
  memory: number;
  tol: number;
}

export function lbfgs(
  f: (x: Float64Array, grad: Float64Array) => number,
  x0: Float64Array,
  opts: Partial<LbfgsOptions> = {},
): { x: Float64Array; loss: number; iterations: number } {
  const { maxIter = 300, memory = 10, tol = 1e-6 } = opts;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let loss = f(x, g);
  const S: Float64Array[] = [],
    Y: Float64Array[] = [],
    rho: number[] = [];
  const dir = new Float64Array(n),
    xNew = new Float64Array(n),
    gNew = new Float64Array(n);
  const dot = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
    return s;
  };
  let iter = 0;
  for (; iter < maxIter; iter++) {
    if (Math.sqrt(dot(g, g)) < tol * Math.max(1, Math.sqrt(dot(x, x)))) break;
    // Two-loop recursion: dir = -H g.
    dir.set(g);
    const alpha = new Array<number>(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, dir);
      for (let i = 0; i < n; i++) dir[i]! -= alpha[k]! * Y[k]![i]!;
    }
    if (S.length) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) dir[i]! *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k]! * dot(Y[k]!, dir);
      for (let i = 0; i < n; i++) dir[i]! += S[k]![i]! * (alpha[k]! - beta);
    }
    for (let i = 0; i < n; i++) dir[i] = -dir[i]!;
    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      slope = dot(g, dir);
    }
    let step = S.length ? 1 : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    let newLoss = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      newLoss = f(xNew, gNew);
      if (newLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    const s = new Float64Array(n),
      y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    x.set(xNew);
    g.set(gNew);
    const improved = loss - newLoss;
    loss = newLoss;
    if (sy > 1e-10) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > memory) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    if (Math.abs(improved) < tol * Math.max(1, Math.abs(loss))) break;
  }
  return { x, loss, iterations: iter };
}
