/**
 * Writes the cached features of every training source (and of any extra JSONL) as flat files for
 * exploratory analysis outside the TypeScript pipeline:
 *   pnpm tsx training/scripts/export-rows.ts --out .cache/rows [--data extra.jsonl ...]
 * `<out>/<set>.meta.jsonl` (one line a text: unit, label, tokens, domain, style, generator, attack,
 * text), `<set>.x.f32` (rows x columns: every layer's mean-pooled state, then the statistics, in
 * `<set>.columns.json` order) and `<set>.series.f32` (each text's logprob, expected and variance,
 * offsets in the meta line). Reads the feature cache only: run `pnpm featurize` first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { featureVector } from '@detector/detector-kit/feature-vector.ts';
import { LOGPROB_STATS, STYLE_STATS, TEXT_STATS, type FeatureSpec } from '@detector/detector-kit/schema.ts';
import { featurize } from '../src/featurize.ts';
import { readJsonl, type Example } from '../src/dataset.ts';
import { REPO_ROOT, parseArgs, startOfflineService } from '../src/cli-support.ts';
import { trainingSources } from '../src/sources.ts';

const args = parseArgs(process.argv.slice(2), { out: 'string', data: 'list', cap: 'string' });
const out = (args.out as string | undefined) ?? path.join(REPO_ROOT, '.cache', 'rows');
const shared = path.resolve(REPO_ROOT, '..', 'shared', 'data');
fs.mkdirSync(out, { recursive: true });
const { service, cache } = await startOfflineService();
const model = service.model();
const layers = model.pack.manifest.layers_in_outputs;
const spec: FeatureSpec = {
  layers: Array.from({ length: layers }, (_, i) => i),
  pooling: 'mean',
  logprob_stats: [...LOGPROB_STATS],
  text_stats: [...TEXT_STATS],
  style_stats: [...STYLE_STATS],
};
const sets: Array<{ name: string; examples: () => Promise<Array<Example & { unit?: string }>> }> = [
  {
    name: 'sources',
    examples: () => trainingSources(shared, Number(args.cap ?? 700)),
  },
  ...((args.data as string[] | undefined) ?? []).map((f) => ({ name: path.basename(f, '.jsonl'), examples: () => readJsonl(f) })),
];
for (const set of sets) {
  const { items } = await featurize(service, model, cache, await set.examples(), { label: set.name, progress: false });
  const meta = fs.createWriteStream(path.join(out, `${set.name}.meta.jsonl`));
  const xs = fs.openSync(path.join(out, `${set.name}.x.f32`), 'w');
  const ser = fs.openSync(path.join(out, `${set.name}.series.f32`), 'w');
  let offset = 0;
  for (const it of items) {
    const f = it.features;
    const x = featureVector(spec, {
      pooled: (l) => f.meanPooled.subarray(l * f.hidden, (l + 1) * f.hidden),
      series: f,
      text: it.text,
    });
    fs.writeSync(xs, Buffer.from(Float32Array.from(x).buffer));
    const n = f.logprob.length;
    const s = new Float32Array(3 * n);
    s.set(f.logprob, 0);
    s.set(f.expected, n);
    s.set(f.variance, 2 * n);
    fs.writeSync(ser, Buffer.from(s.buffer));
    const e = it.example as Example & { unit?: string; style?: string };
    meta.write(
      `${JSON.stringify({ unit: e.unit ?? set.name, y: e.label === 'ai' ? 1 : 0, tokens: f.tokens, domain: e.domain, style: e.style, generator: e.generator, attack: e.attack, series_offset: offset, series_n: n, text: it.text })}\n`,
    );
    offset += 3 * n;
  }
  fs.closeSync(xs);
  fs.closeSync(ser);
  meta.end();
  fs.writeFileSync(
    path.join(out, `${set.name}.columns.json`),
    JSON.stringify({ layers, hidden: model.pack.manifest.hidden_size, stats: [...LOGPROB_STATS, ...TEXT_STATS, ...STYLE_STATS] }),
  );
  process.stderr.write(`${set.name}: ${items.length} rows\n`);
}
await service.stop();
