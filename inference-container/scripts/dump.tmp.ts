import fs from 'node:fs';
import { featurize } from '../src/training/featurize.ts';
import { readJsonl } from '../src/training/dataset.ts';
import { startOfflineService } from '../src/training/cli-support.ts';
import { loadSources } from '../src/training/sources.ts';
import { featureVector } from '../src/detectors/feature-vector.ts';
import { LOGPROB_STATS, TEXT_STATS, STYLE_STATS } from '../src/detectors/schema.ts';
const { service, cache } = await startOfflineService();
const model = service.model();
const spec = { layers: [0,1,2,3,4,5,6,7,8], pooling: 'mean' as const, logprob_stats: [...LOGPROB_STATS], text_stats: [...TEXT_STATS], style_stats: [...STYLE_STATS] };
fs.mkdirSync('/tmp/dump', { recursive: true });
async function dump(name: string, ex: any[]) {
  const r = await featurize(service, model, cache, ex, { label: name, progress: false });
  const dim = 9 * 256 + LOGPROB_STATS.length + TEXT_STATS.length + STYLE_STATS.length;
  const X = new Float32Array(r.items.length * dim);
  const meta: string[] = [];
  r.items.forEach((it, i) => {
    const f = it.features;
    const v = featureVector(spec, { pooled: (l) => f.meanPooled.subarray(l * 256, (l + 1) * 256), series: f, text: it.text });
    X.set(v, i * dim);
    const e = it.example as any;
    meta.push(JSON.stringify({ unit: e.unit ?? e.domain, label: e.label, domain: e.domain, generator: e.generator, attack: e.attack, tokens: f.tokens, pair: e.pair ?? e.id ?? null }));
  });
  fs.writeFileSync(`/tmp/dump/${name}.f32`, Buffer.from(X.buffer));
  fs.writeFileSync(`/tmp/dump/${name}.meta.jsonl`, meta.join('\n') + '\n');
  console.error(name, r.items.length, dim, 'skipped', r.skipped.length);
}
const which = process.argv.slice(2);
if (which.includes('sources')) await dump('sources', await loadSources({ v1Train: '../../shared/data/detect-v1/train.jsonl', v2Dir: '../../shared/data/detect-v2/sources', capPerCell: Number(process.env.CAP ?? 700), extraHuman: 1200 }));
for (const f of ['test', 'attacks', 'train'].filter((x) => which.includes(x))) await dump(f, await readJsonl(`../../shared/data/detect-v1/${f}.jsonl`));
await service.stop();
