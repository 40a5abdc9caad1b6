import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TextFeatures } from '@detector/inference-container/core/features/text-features.ts';

/** Bump when what is cached changes meaning, so stale entries are never read. */
const CACHE_VERSION = 'v1';

/** What training reads for one text: pooled states of every layer and the per-token series. */
export interface CachedFeatures {
  tokens: number;
  windows: number;
  layers: number;
  hidden: number;
  /** [layers * hidden], mean pooling over the whole text. */
  meanPooled: Float32Array;
  logprob: Float32Array;
  expected: Float32Array;
  variance: Float32Array;
}

export function cacheKey(packSha: string, text: string): string {
  return createHash('sha256').update(`${CACHE_VERSION}\0${packSha}\0${text}`).digest('hex');
}

export function fromTextFeatures(f: TextFeatures, layers: number, hidden: number): CachedFeatures {
  const meanPooled = new Float32Array(layers * hidden);
  for (let l = 0; l < layers; l++) meanPooled.set(f.embeddings.get(l)!, l * hidden);
  return {
    tokens: f.tokens,
    windows: f.windows.length,
    layers,
    hidden,
    meanPooled,
    logprob: Float32Array.from(f.series!.logprob),
    expected: Float32Array.from(f.series!.expected),
    variance: Float32Array.from(f.series!.variance),
  };
}

/** One small binary file per text: a JSON header, then the float arrays. */
export class FeatureCache {
  constructor(private readonly dir: string) {}

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.bin`);
  }

  async get(key: string): Promise<CachedFeatures | null> {
    let buf: Buffer;
    try {
      buf = await fs.readFile(this.file(key));
    } catch {
      return null;
    }
    const headerLen = buf.readUInt32LE(0);
    const h = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as { tokens: number; windows: number; layers: number; hidden: number; n: number };
    const start = 4 + headerLen + ((4 - ((4 + headerLen) % 4)) % 4);
    const floats = new Float32Array(buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length));
    const p = h.layers * h.hidden;
    return {
      tokens: h.tokens,
      windows: h.windows,
      layers: h.layers,
      hidden: h.hidden,
      meanPooled: floats.slice(0, p),
      logprob: floats.slice(p, p + h.n),
      expected: floats.slice(p + h.n, p + 2 * h.n),
      variance: floats.slice(p + 2 * h.n, p + 3 * h.n),
    };
  }

  async put(key: string, f: CachedFeatures): Promise<void> {
    const header = Buffer.from(JSON.stringify({ tokens: f.tokens, windows: f.windows, layers: f.layers, hidden: f.hidden, n: f.logprob.length }));
    const pad = (4 - ((4 + header.length) % 4)) % 4;
    const floats = new Float32Array(f.meanPooled.length + 3 * f.logprob.length);
    floats.set(f.meanPooled, 0);
    floats.set(f.logprob, f.meanPooled.length);
    floats.set(f.expected, f.meanPooled.length + f.logprob.length);
    floats.set(f.variance, f.meanPooled.length + 2 * f.logprob.length);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await fs.writeFile(tmp, Buffer.concat([len, header, Buffer.alloc(pad), Buffer.from(floats.buffer)]));
    await fs.rename(tmp, file);
  }
}
