import * as ort from 'onnxruntime-node';

/**
 * The machine's matrix-multiply rate as ONNX Runtime achieves it with the same threads: a
 * one-node MatMul model built in memory (protobuf written by hand; no file, no download).
 */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const field = (num: number, wire: number) => varint((num << 3) | wire);
const bytesField = (num: number, payload: number[]) => [...field(num, 2), ...varint(payload.length), ...payload];
const str = (num: number, s: string) => bytesField(num, [...Buffer.from(s, 'utf8')]);
const int = (num: number, v: number) => [...field(num, 0), ...varint(v)];

function tensorInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => bytesField(1, int(1, d)));
  const tensorType = [...int(1, 1 /* FLOAT */), ...bytesField(2, shape)];
  return [...str(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

export function matmulModel(m: number, k: number, n: number): Uint8Array {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(3, 'mm'), ...str(4, 'MatMul')];
  const graph = [
    ...bytesField(1, node),
    ...str(2, 'gemm'),
    ...bytesField(11, tensorInfo('A', [m, k])),
    ...bytesField(11, tensorInfo('B', [k, n])),
    ...bytesField(12, tensorInfo('C', [m, n])),
  ];
  const opset = [...str(1, ''), ...int(2, 13)];
  return Uint8Array.from([...int(1, 8), ...bytesField(8, opset), ...bytesField(7, graph)]);
}

/** Sustained FLOP/s of an [m, k] x [k, n] float32 product. */
export async function measureGemm(threads: number, m = 1024, k = 1024, n = 1024, seconds = 1): Promise<number> {
  const session = await ort.InferenceSession.create(matmulModel(m, k, n), { intraOpNumThreads: threads });
  const fill = (len: number) => Float32Array.from({ length: len }, (_, i) => ((i % 97) - 48) / 97);
  const feeds = { A: new ort.Tensor('float32', fill(m * k), [m, k]), B: new ort.Tensor('float32', fill(k * n), [k, n]) };
  await session.run(feeds);
  let runs = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await session.run(feeds);
    runs++;
  }
  const elapsed = (performance.now() - t0) / 1000;
  await session.release();
  return (2 * m * k * n * runs) / elapsed;
}
