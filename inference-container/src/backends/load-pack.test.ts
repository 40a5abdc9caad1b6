import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_PACK, BUNDLED_PACKS_DIR } from '../config.ts';
import { runBatch, sliceByTokens, vocabTokenBudget } from './run-batch.ts';
import { loadPack, PackError, type ModelPack } from './load-pack.ts';
import { maxAbsDiff, sum, type Reference } from './reference.ts';

const dir = path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK);

const ALL = ['mean_pooled', 'last_token', 'token_logprob', 'expected_logprob', 'logprob_variance'] as const;

describe('model pack', () => {
  let pack: ModelPack;
  beforeAll(async () => {
    pack = await loadPack(dir, { intraOpThreads: 2 });
  });
  afterAll(async () => pack.session.release());

  it('reproduces reference.json within 1e-4', async () => {
    const refs: Reference[] = JSON.parse(await fs.readFile(path.join(dir, 'reference.json'), 'utf8'));
    const H = pack.manifest.hidden_size,
      last = pack.manifest.num_layers;
    for (const ref of refs) {
      const [out] = await runBatch(pack, [ref.input_ids], ALL);
      expect(maxAbsDiff(out!.mean_pooled!.subarray(last * H, last * H + 8), ref.mean_pooled_layer_last_first8)).toBeLessThan(1e-4);
      expect(maxAbsDiff(out!.last_token!.subarray(last * H, last * H + 8), ref.last_token_layer_last_first8)).toBeLessThan(1e-4);
      // The reference gives sums: n values each within 1e-4 sum to within n * 1e-4.
      const n = ref.input_ids.length;
      expect(Math.abs(sum(out!.token_logprob!) - ref.token_logprob_sum)).toBeLessThan(1e-4 * n);
      expect(Math.abs(sum(out!.expected_logprob!) - ref.expected_logprob_sum)).toBeLessThan(1e-4 * n);
      expect(Math.abs(sum(out!.logprob_variance!) - ref.logprob_variance_sum)).toBeLessThan(1e-4 * n);
    }
  });

  it('gives the same per-text outputs in a padded batch as one text at a time', async () => {
    const seqs = ['Short one.', 'A somewhat longer sentence that needs more tokens than the first.', 'Middle length text here.'].map((t) => [
      pack.manifest.bos_token_id,
      ...pack.tokenizer.encode(t).ids,
    ]);
    const batched = await runBatch(pack, seqs, ALL);
    for (let i = 0; i < seqs.length; i++) {
      const [alone] = await runBatch(pack, [seqs[i]!], ALL);
      for (const name of ALL) {
        expect(batched[i]![name]!.length).toBe(alone![name]!.length);
        expect(maxAbsDiff(batched[i]![name]!, alone![name]!)).toBeLessThan(1e-4);
      }
    }
  });

  it('gives the same outputs when a batch runs in slices under a vocabulary budget', async () => {
    const seqs = ['One.', 'Two short words.', 'A third, rather longer, sentence with more tokens.', 'Four.'].map((t) => [
      pack.manifest.bos_token_id,
      ...pack.tokenizer.encode(t).ids,
    ]);
    const whole = await runBatch(pack, seqs, ALL);
    const sliced = await runBatch(pack, seqs, ALL, 12);
    expect(sliced).toHaveLength(seqs.length);
    for (let i = 0; i < seqs.length; i++) {
      for (const name of ALL) expect(maxAbsDiff(sliced[i]![name]!, whole[i]![name]!)).toBeLessThan(1e-4);
    }
  });

  it('slices keep their order and stay within the token budget unless one sequence alone is larger', () => {
    const seqs = [3, 3, 4, 9, 2, 2, 2].map((n) => Array.from({ length: n }, (_, i) => i));
    const slices = sliceByTokens(seqs, 8);
    expect(slices.flat()).toEqual(seqs);
    expect(slices.map((s) => s.map((q) => q.length))).toEqual([[3, 3], [4], [9], [2, 2, 2]]);
    expect(vocabTokenBudget(64, 16384)).toBe(1024);
    expect(vocabTokenBudget(0, 16384)).toBe(Infinity);
  });

  it('computes only the outputs asked for', async () => {
    const [out] = await runBatch(pack, [[0, 5, 6, 7]], ['mean_pooled']);
    expect(Object.keys(out!)).toEqual(['mean_pooled']);
  });
});

describe('pack verification', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pack-'));
  });
  afterAll(async () => fs.rm(tmp, { recursive: true, force: true }));

  async function copyPack(mutate: (manifest: Record<string, unknown>) => void): Promise<string> {
    const target = await fs.mkdtemp(path.join(tmp, 'p-'));
    for (const f of ['model.onnx', 'tokenizer.json']) await fs.symlink(path.join(dir, f), path.join(target, f));
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
    mutate(manifest);
    await fs.writeFile(path.join(target, 'manifest.json'), JSON.stringify(manifest));
    return target;
  }

  it('refuses a pack whose model does not match its sha256', async () => {
    const bad = await copyPack((m) => (m.model_sha256 = '0'.repeat(64)));
    await expect(loadPack(bad, { intraOpThreads: 1 })).rejects.toThrow(/sha256/);
  });

  it('refuses a pack whose tokenizer does not match a pinned sha256', async () => {
    const bad = await copyPack((m) => (m.tokenizer_sha256 = 'f'.repeat(64)));
    await expect(loadPack(bad, { intraOpThreads: 1 })).rejects.toBeInstanceOf(PackError);
  });

  it('refuses a pack without a model before building a session', async () => {
    const bad = await copyPack(() => {});
    await fs.rm(path.join(bad, 'model.onnx'));
    await expect(loadPack(bad, { intraOpThreads: 1 })).rejects.toThrow(/has no model.onnx/);
  });

  it('refuses an invalid manifest', async () => {
    const bad = await copyPack((m) => delete m.hidden_size);
    await expect(loadPack(bad, { intraOpThreads: 1 })).rejects.toThrow(/manifest/);
  });
});
