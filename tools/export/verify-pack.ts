/**
 * Checks an exported pack the way the inference service will use it: loadPack (sha256 and
 * manifest), parity with the framework's reference.json, padded batches equal to single texts,
 * and a long text read in windows through a started InferenceService.
 *
 *   pnpm exec tsx tools/export/verify-pack.ts <pack folder>
 *
 * Prints one JSON report and exits 1 when any check fails.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../inference-container/src/config.ts';
import { createLogger } from '../../inference-container/src/log.ts';
import { createMetrics } from '../../inference-container/src/metrics.ts';
import { runBatch } from '../../inference-container/src/backends/run-batch.ts';
import { loadPack } from '../../inference-container/src/backends/load-pack.ts';
import { PACK_OUTPUTS } from '../../detector-kit/src/pack-manifest.ts';
import { maxAbsDiff, sum, type Reference } from '../../inference-container/src/backends/reference.ts';
import { InferenceService } from '../../inference-container/src/core/service.ts';

const TOLERANCE = 1e-4;

async function main(dirArg: string | undefined): Promise<number> {
  if (!dirArg) {
    console.error('usage: verify-pack.ts <pack folder>');
    return 2;
  }
  const dir = path.resolve(dirArg);
  const pack = await loadPack(dir, { intraOpThreads: 2 });
  const { hidden_size: H, num_layers: last } = pack.manifest;
  const checks: Array<{ check: string; value: number; limit: number; ok: boolean }> = [];
  const record = (check: string, value: number, limit: number) => checks.push({ check, value, limit, ok: value <= limit });

  const refs: Reference[] = JSON.parse(await fs.readFile(path.join(dir, 'reference.json'), 'utf8'));
  for (const ref of refs) {
    const n = ref.input_ids.length;
    const [out] = await runBatch(pack, [ref.input_ids], PACK_OUTPUTS);
    record(
      `reference n=${n} mean_pooled[last][:8] max abs diff`,
      maxAbsDiff(out!.mean_pooled!.subarray(last * H, last * H + 8), ref.mean_pooled_layer_last_first8),
      TOLERANCE,
    );
    record(
      `reference n=${n} last_token[last][:8] max abs diff`,
      maxAbsDiff(out!.last_token!.subarray(last * H, last * H + 8), ref.last_token_layer_last_first8),
      TOLERANCE,
    );
    // Sums of n values, each within the tolerance.
    record(`reference n=${n} token_logprob sum diff`, Math.abs(sum(out!.token_logprob!) - ref.token_logprob_sum), TOLERANCE * n);
    record(`reference n=${n} expected_logprob sum diff`, Math.abs(sum(out!.expected_logprob!) - ref.expected_logprob_sum), TOLERANCE * n);
    record(`reference n=${n} logprob_variance sum diff`, Math.abs(sum(out!.logprob_variance!) - ref.logprob_variance_sum), TOLERANCE * n);
  }

  const texts = ['Short one.', 'A somewhat longer sentence that needs more tokens than the first one does.', 'Middle length text.'];
  const seqs = texts.map((t) => [pack.manifest.bos_token_id, ...pack.tokenizer.encode(t).ids]);
  const batched = await runBatch(pack, seqs, PACK_OUTPUTS);
  let padDiff = 0;
  for (let i = 0; i < seqs.length; i++) {
    const [alone] = await runBatch(pack, [seqs[i]!], PACK_OUTPUTS);
    for (const name of PACK_OUTPUTS) padDiff = Math.max(padDiff, maxAbsDiff(batched[i]![name]!, alone![name]!));
  }
  record('padded batch vs one at a time, max abs diff', padDiff, TOLERANCE);
  await pack.session.release();

  // The same pack through the service: windows, pooling and log-probability statistics.
  const config = loadConfig({ MODEL_PACKS_DIR: path.dirname(dir), MODEL_PACKS: path.basename(dir), ORT_INTRA_OP_THREADS: '2', LANGUAGE_ID: 'off' });
  const service = new InferenceService(config, createMetrics(), createLogger('silent'));
  await service.start({ detectors: false });
  const model = service.model();
  const long = Array.from({ length: 120 }, (_, i) => `Sentence number ${i} says something ordinary about the weather.`).join(' ');
  const [features] = await service.features(model, [long], { layers: [last], pooling: 'mean', normalize: false, logprob: true, perToken: false });
  await service.stop();
  const finite = [...features!.embeddings.get(last)!].every(Number.isFinite) && Number.isFinite(features!.logprob!.mean_logprob);
  record('service: non-finite values in a long text', finite ? 0 : 1, 0);

  const report = {
    pack: pack.manifest.name,
    dir,
    model_sha256: pack.manifest.model_sha256,
    layers_in_outputs: pack.manifest.layers_in_outputs,
    hidden_size: H,
    service: { tokens: features!.tokens, windows: features!.windows.length, mean_logprob: features!.logprob!.mean_logprob },
    checks,
    ok: checks.every((c) => c.ok),
  };
  console.log(JSON.stringify(report, null, 1));
  return report.ok ? 0 : 1;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(String(err instanceof Error ? err.message : err));
    process.exit(1);
  },
);
