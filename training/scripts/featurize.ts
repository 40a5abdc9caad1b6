/**
 * Computes and caches features, so a later `pnpm train` or `pnpm eval` reads them from the cache:
 *   pnpm featurize --sources              every training source, as `pnpm train` loads them
 *   pnpm featurize --data a.jsonl [--data b.jsonl]
 */
import path from 'node:path';
import { featurize } from '../src/featurize.ts';
import { readJsonl, type Example } from '../src/dataset.ts';
import { REPO_ROOT, parseArgs, startOfflineService } from '../src/cli-support.ts';
import { trainingSources } from '../src/sources.ts';

const args = parseArgs(process.argv.slice(2), { data: 'list', sources: 'boolean', cap: 'string' });
const files = (args.data as string[] | undefined) ?? [];
if (files.length === 0 && !args.sources) throw new Error('usage: featurize --sources | --data <file.jsonl> [--data ...]');
const shared = path.resolve(REPO_ROOT, '..', 'shared', 'data');
const sets: Array<{ label: string; examples: () => Promise<Example[]> }> = [];
if (args.sources)
  sets.push({
    label: 'sources',
    examples: () => trainingSources(shared, Number(args.cap ?? 700)),
  });
for (const file of files) sets.push({ label: file.split('/').pop()!, examples: () => readJsonl(file) });
const { service, cache } = await startOfflineService();
const model = service.model();
for (const set of sets) {
  const examples = await set.examples();
  const t0 = performance.now();
  const { items, skipped } = await featurize(service, model, cache, examples, { label: set.label });
  process.stderr.write(`${set.label}: ${items.length} texts in ${((performance.now() - t0) / 1000).toFixed(1)} s, ${skipped.length} skipped\n`);
}
await service.stop();
