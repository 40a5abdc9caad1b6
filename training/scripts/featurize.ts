/** Computes and caches features for JSONL files: `pnpm featurize --data a.jsonl --data b.jsonl`. */
import { featurize } from '../src/featurize.ts';
import { readJsonl } from '../src/dataset.ts';
import { parseArgs, startOfflineService } from '../src/cli-support.ts';

const args = parseArgs(process.argv.slice(2), { data: 'list' });
const files = (args.data as string[] | undefined) ?? [];
if (files.length === 0) throw new Error('usage: featurize --data <file.jsonl> [--data ...]');
const { service, cache } = await startOfflineService();
const model = service.model();
for (const file of files) {
  const examples = await readJsonl(file);
  const t0 = performance.now();
  const { items, skipped } = await featurize(service, model, cache, examples, { label: file.split('/').pop() });
  process.stderr.write(`${file}: ${items.length} texts in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${skipped.length} skipped\n`);
}
await service.stop();
