export function standardize(x: ArrayLike<number>, st: { mean: ArrayLike<number>; scale: ArrayLike<number> }): Float64Array {
  const out = new Float64Array(x.length);
  for (let j = 0; j < x.length; j++) out[j] = (x[j]! - st.mean[j]!) / st.scale[j]!;
  return out;
}
