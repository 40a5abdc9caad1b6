/**
 * Evaluates a detector on any JSONL of {text, label}:
 * `pnpm eval [--detector <name|path>] --data <file.jsonl> --out <dir>` writes metrics.json,
 * report.md and roc.svg (and roc.png). The bundled detector is used when none is named.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { detectorSchema, type Detector } from '@detector/detector-kit/schema.ts';
import { parseArgs, startOfflineService } from '../src/cli-support.ts';
import { readJsonl } from '../src/dataset.ts';
import { evaluateDetector, type GroupMetrics } from '../src/evaluate.ts';
import { featurize } from '../src/featurize.ts';
import { rocSvg } from '../src/roc-plot.ts';

const args = parseArgs(process.argv.slice(2), { detector: 'string', data: 'string', out: 'string' });
if (!args.data || !args.out) {
  console.error('usage: eval [--detector <name|path>] --data <file.jsonl> --out <dir>');
  process.exit(2);
}
const { service, cache } = await startOfflineService({ detectors: !(args.detector as string | undefined)?.endsWith('.json') });
const name = (args.detector as string | undefined) ?? service.config.DEFAULT_DETECTOR;
let detector: Detector;
if (name.endsWith('.json')) detector = detectorSchema.parse(JSON.parse(await fs.readFile(name, 'utf8')));
else detector = service.registry().select({ detector: name });
// Language identification is not part of the score; evaluation measures the detector itself.
const model = service.model(detector.pack.name);
const examples = await readJsonl(args.data as string);
const { items, skipped } = await featurize(service, model, cache, examples, { label: path.basename(args.data as string) });
await service.stop();

const r = evaluateDetector(detector, items);
const metrics = {
  detector: { name: detector.name, version: detector.version },
  data: path.basename(args.data as string),
  skipped: skipped.length,
  too_short: r.too_short,
  out_of_distribution: r.out_of_distribution,
  ...r.overall,
  ...(r.by_domain ? { by_domain: r.by_domain } : {}),
  ...(r.by_generator ? { by_generator: r.by_generator } : {}),
  ...(r.by_attack ? { by_attack: r.by_attack } : {}),
};
const outDir = args.out as string;
await fs.mkdir(outDir, { recursive: true });
await fs.writeFile(path.join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);

const curves = r.roc ? [{ name: `${detector.name} (AUROC ${r.overall.auroc!.toFixed(4)})`, points: r.roc }] : [];
const marks = [
  { name: 'strict', fpr: r.overall.strict.fpr ?? 0, tpr: r.overall.strict.tpr ?? 0 },
  { name: 'balanced', fpr: r.overall.balanced.fpr ?? 0, tpr: r.overall.balanced.tpr ?? 0 },
];
const svg = rocSvg(curves, r.roc ? marks : []);
await fs.writeFile(path.join(outDir, 'roc.svg'), svg);
try {
  const sharp = (await import('sharp')).default;
  await sharp(Buffer.from(svg)).png().toFile(path.join(outDir, 'roc.png'));
} catch {
  // sharp is optional here; the SVG is the plot of record.
}

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
const row = (k: string, m: GroupMetrics) =>
  `| ${k} | ${m.n} | ${m.human} | ${m.ai} | ${num(m.auroc)} | ${pct(m.tpr_at_1pct_fpr)} | ${pct(m.tpr_at_5pct_fpr)} | ${pct(m.answered)} | ${pct(m.strict.fpr)} | ${pct(m.strict.tpr)} | ${pct(m.balanced.fpr)} | ${pct(m.balanced.tpr)} | ${pct(m.miss_rate)} |`;
const head =
  '| group | n | human | ai | AUROC | TPR@1%FPR | TPR@5%FPR | answered | strict FPR | strict TPR | balanced FPR | balanced TPR | machine answered human |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|';
const fprKind = detector.local_calibration ? 'stated FPR, measured leave-one-source-out' : 'calibrated FPR';
const sections = [
  `# Evaluation of ${detector.name} ${detector.version} on ${metrics.data}`,
  '',
  `Thresholds: ${detector.local_calibration ? 'set per text by its nearest human references' : 'global'}; strict ${fprKind} ${pct(detector.thresholds.strict.fpr)}, balanced ${pct(detector.thresholds.balanced.fpr)}. ${skipped.length} texts skipped as unusable, ${r.too_short} under ${detector.min_tokens} tokens and ${r.out_of_distribution} out of distribution (scored for AUROC, but the service answers 'uncertain'; FPR and TPR are over answered texts).`,
  '',
  head,
  row('all', r.overall),
  ...(['by_domain', 'by_generator', 'by_attack'] as const).flatMap((k) =>
    r[k] ? ['', `### ${k.replace('by_', 'by ')}`, '', head, ...Object.entries(r[k]!).map(([g, m]) => row(g, m))] : [],
  ),
  '',
  '![ROC](roc.svg)',
  '',
];
await fs.writeFile(path.join(outDir, 'report.md'), sections.join('\n'));
console.log(
  `${metrics.data}: n=${r.overall.n} AUROC=${num(r.overall.auroc)} TPR@1%=${pct(r.overall.tpr_at_1pct_fpr)} TPR@5%=${pct(r.overall.tpr_at_5pct_fpr)} strict FPR=${pct(r.overall.strict.fpr)} TPR=${pct(r.overall.strict.tpr)}`,
);
console.log(`wrote ${outDir}/metrics.json, report.md, roc.svg`);
