import { auroc, groupBalancedWeights, tprAtWeightedFpr } from '../detectors/metrics.ts';
import { LOGPROB_STATS, TEXT_STATS, type FeatureSpec } from '../detectors/schema.ts';
import type { Featurized } from './featurize.ts';
import { ensembleWeights, featureRows, fitHead, labelsOf, scoreRows, scoreSpread, type HeadConfig } from './fit-detector.ts';

export interface Candidate {
  name: string;
  description: string;
  spec: (layersInOutputs: number) => FeatureSpec;
  head: HeadConfig;
  /** For an ensemble: the candidates it combines. Its folds reuse theirs instead of refitting. */
  members?: string[];
}

const allLayers = (n: number) => Array.from({ length: n }, (_, i) => i);
const spec = (layers: number[], logprob: boolean, text: boolean): FeatureSpec => ({
  layers,
  pooling: 'mean',
  logprob_stats: logprob ? [...LOGPROB_STATS] : [],
  text_stats: text ? [...TEXT_STATS] : [],
  style_stats: [],
});

export const CANDIDATES: Candidate[] = [
  { name: 'last-layer-lr', description: 'logistic regression on the last layer, mean-pooled', spec: (n) => spec([n - 1], false, false), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-lr', description: 'logistic regression on every layer, mean-pooled', spec: (n) => spec(allLayers(n), false, false), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-logprob-lr', description: 'logistic regression on every layer and log-probability statistics', spec: (n) => spec(allLayers(n), true, false), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-logprob-text-lr', description: 'logistic regression on every layer, log-probability and text statistics', spec: (n) => spec(allLayers(n), true, true), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-logprob-text-lr-l2', description: 'as all-layers-logprob-text-lr with a 10x stronger penalty', spec: (n) => spec(allLayers(n), true, true), head: { type: 'logistic_regression', l2: 1e-2 } },
  // About a minute per fit on one CPU core, so its 17 fits are most of --select's time.
  { name: 'all-layers-logprob-text-mlp', description: 'one-hidden-layer MLP on every layer, log-probability and text statistics', spec: (n) => spec(allLayers(n), true, true), head: { type: 'mlp', l2: 1e-4, hidden: 32, epochs: 15 } },
  {
    name: 'all-layers-logprob-text-lr-mlp',
    description: 'the penalised logistic regression and the MLP averaged, each scaled by its score spread',
    spec: (n) => spec(allLayers(n), true, true),
    head: { type: 'ensemble', members: [{ type: 'logistic_regression', l2: 1e-2 }, { type: 'mlp', l2: 1e-4, hidden: 32, epochs: 15 }] },
    members: ['all-layers-logprob-text-lr-l2', 'all-layers-logprob-text-mlp'],
  },
];
export const DEFAULT_CANDIDATE = 'all-layers-logprob-text-lr';

/** Fold fits stop earlier than the final fit: rankings settle long before the last digits do. */
export const SELECTION_ITERATIONS = 150;

interface Fold {
  kind: 'domain' | 'generator' | 'held-out';
  heldOut: string;
  auroc: number;
  tpr1: number;
  n: number;
}

/** One fold's test scores, kept so that an ensemble's fold can be built from its members'. */
interface FoldScores {
  kind: Fold['kind'];
  heldOut: string;
  scores: Float64Array;
  y: Uint8Array;
  /** Human texts count by domain, so a fold's 1% FPR is the mean over the domains it tests. */
  weights: Float64Array;
  /** Spread of the fitted head's scores on its own training rows (see ensembleWeights). */
  spread: number;
}

/**
 * Leave-one-domain-out and leave-one-generator-out evaluation of each candidate: fit without a
 * domain (or generator) and test on it. A detector that only memorised its training domains
 * scores well in-distribution and badly here, which is the failure that matters in production.
 * TPR is read at 1% FPR with every human domain in the fold weighted alike, as thresholds are set.
 */
export async function generalisation(
  fit: Featurized[], cal: Featurized[], candidates: Candidate[], layersInOutputs: number,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
) {
  const all = [...fit, ...cal];
  const domains = [...new Set(fit.map((i) => i.example.domain).filter((d): d is string => !!d))].filter((d) => {
    const inD = all.filter((i) => i.example.domain === d);
    return inD.some((i) => i.example.label === 'ai') && inD.some((i) => i.example.label === 'human');
  });
  const generators = [...new Set(fit.filter((i) => i.example.label === 'ai').map((i) => i.example.generator).filter((g): g is string => !!g))];
  const calHuman = cal.filter((i) => i.example.label === 'human');
  const domainOf = (it: Featurized) => it.example.domain ?? 'unknown';
  const weightsFor = (items: Featurized[]) => {
    const w = new Float64Array(items.length).fill(1);
    const humanIdx = items.map((it, i) => (it.example.label === 'human' ? i : -1)).filter((i) => i >= 0);
    const hw = groupBalancedWeights(humanIdx.map((i) => domainOf(items[i]!)));
    humanIdx.forEach((i, k) => (w[i] = hw[k]!));
    return w;
  };
  const scored = new Map<string, FoldScores[]>();
  const results = new Map<string, Fold[]>();
  const record = (cand: Candidate, f: FoldScores) => {
    const fold: Fold = { kind: f.kind, heldOut: f.heldOut, auroc: auroc(f.scores, f.y), tpr1: tprAtWeightedFpr(f.scores, f.y, 0.01, f.weights), n: f.y.length };
    results.set(cand.name, [...(results.get(cand.name) ?? []), fold]);
    scored.set(cand.name, [...(scored.get(cand.name) ?? []), f]);
    const where = f.kind === 'held-out' ? 'on the calibration split' : `without ${f.heldOut}`;
    log(`  ${cand.name} ${where}: AUROC ${fold.auroc.toFixed(3)}, TPR@1% ${fold.tpr1.toFixed(3)}`);
  };

  for (const cand of candidates.filter((c) => !c.members)) {
    const s = cand.spec(layersInOutputs);
    const rowsFit = featureRows(fit, s);
    const rowsAll = featureRows(all, s);
    // `all` is fit then cal, so the calibration rows are the tail of rowsAll.
    const rowsCal = rowsAll.slice(fit.length);
    const rowsCalHuman = rowsCal.filter((_, i) => cal[i]!.example.label === 'human');
    const fitOn = (trainIdx: number[]) => {
      const rows = trainIdx.map((i) => rowsFit[i]!);
      const h = fitHead(rows, labelsOf(trainIdx.map((i) => fit[i]!)), cand.head, SELECTION_ITERATIONS);
      return { h, spread: scoreSpread(scoreRows(h, rows)) };
    };
    for (const d of domains) {
      const { h, spread } = fitOn(fit.map((it, i) => (it.example.domain !== d ? i : -1)).filter((i) => i >= 0));
      const testIdx = all.map((it, i) => (it.example.domain === d ? i : -1)).filter((i) => i >= 0);
      const items = testIdx.map((i) => all[i]!);
      record(cand, { kind: 'domain', heldOut: d, scores: scoreRows(h, testIdx.map((i) => rowsAll[i]!)), y: labelsOf(items), weights: weightsFor(items), spread });
    }
    for (const g of generators) {
      const { h, spread } = fitOn(fit.map((it, i) => (it.example.generator !== g ? i : -1)).filter((i) => i >= 0));
      const testAi = all.map((it, i) => (it.example.generator === g ? i : -1)).filter((i) => i >= 0);
      const items = [...testAi.map((i) => all[i]!), ...calHuman];
      const scores = Float64Array.from([...scoreRows(h, testAi.map((i) => rowsAll[i]!)), ...scoreRows(h, rowsCalHuman)]);
      record(cand, { kind: 'generator', heldOut: g, scores, y: labelsOf(items), weights: weightsFor(items), spread });
    }
    // The seen distribution counts too: most traffic looks like the domains we trained on.
    const { h, spread } = fitOn(fit.map((_, i) => i));
    record(cand, { kind: 'held-out', heldOut: 'calibration split', scores: scoreRows(h, rowsCal), y: labelsOf(cal), weights: weightsFor(cal), spread });
  }
  // An ensemble fitted on a fold is its members fitted on that fold, so its scores are theirs combined.
  for (const cand of candidates.filter((c) => c.members)) {
    const memberFolds = cand.members!.map((m) => {
      const f = scored.get(m);
      if (!f) throw new Error(`ensemble ${cand.name} needs candidate ${m} in the same selection`);
      return f;
    });
    memberFolds[0]!.forEach((first, k) => {
      const parts = memberFolds.map((f) => f[k]!);
      const w = ensembleWeights(parts.map((p) => p.spread));
      const scores = first.scores.map((_, i) => parts.reduce((z, p, j) => z + w[j]! * p.scores[i]!, 0));
      record(cand, { ...first, scores, spread: scoreSpread(scores) });
    });
  }

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const summary = candidates.map((c) => {
    const f = results.get(c.name)!;
    const dom = f.filter((x) => x.kind === 'domain'), gen = f.filter((x) => x.kind === 'generator');
    const held = f.find((x) => x.kind === 'held-out')!;
    return {
      candidate: c.name,
      lodo_auroc_mean: mean(dom.map((x) => x.auroc)),
      lodo_auroc_min: Math.min(...dom.map((x) => x.auroc)),
      lodo_tpr1_mean: mean(dom.map((x) => x.tpr1)),
      logo_auroc_mean: mean(gen.map((x) => x.auroc)),
      logo_auroc_min: Math.min(...gen.map((x) => x.auroc)),
      logo_tpr1_mean: mean(gen.map((x) => x.tpr1)),
      heldout_auroc: held.auroc,
      heldout_tpr1: held.tpr1,
    };
  });
  // Catching text at a low false-positive rate from unseen domains, unseen generators and the
  // distribution we trained on, weighted alike: a head that generalises as well as another but
  // is more accurate on familiar text should win.
  const objective = (s: (typeof summary)[number]) => (s.lodo_tpr1_mean + s.logo_tpr1_mean + s.heldout_tpr1) / 3;
  const bestSummary = [...summary].sort((a, b) => objective(b) - objective(a))[0]!;
  const best = candidates.find((c) => c.name === bestSummary.candidate)!;

  const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
  const lines = [
    '# Detector selection: leave-one-domain-out and leave-one-generator-out',
    '',
    'Each row fits the candidate without one domain (or one generator) of the fit split and tests on it;',
    'generator folds test the held-out generator against calibration-split human text. The last columns fit on',
    'the whole fit split and test on the calibration split. TPR is at 1% FPR, with the human texts of every',
    'domain in a fold weighted alike (as the thresholds are set). An ensemble is scored from its members\'',
    'fold scores. The chosen candidate has the highest mean of the three TPR columns.',
    '',
    '| candidate | LODO AUROC mean | LODO AUROC min | LODO TPR@1% mean | LOGO AUROC mean | LOGO AUROC min | LOGO TPR@1% mean | held-out AUROC | held-out TPR@1% | objective |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...summary.map((s) => `| ${s.candidate}${s.candidate === best.name ? ' (chosen)' : ''} | ${f3(s.lodo_auroc_mean)} | ${f3(s.lodo_auroc_min)} | ${f3(s.lodo_tpr1_mean)} | ${f3(s.logo_auroc_mean)} | ${f3(s.logo_auroc_min)} | ${f3(s.logo_tpr1_mean)} | ${f3(s.heldout_auroc)} | ${f3(s.heldout_tpr1)} | ${f3(objective(s))} |`),
    '',
    '## Folds',
    '',
    '| candidate | held out | n | AUROC | TPR@1% FPR |',
    '|---|---|---|---|---|',
    ...candidates.flatMap((c) => results.get(c.name)!.map((f) => `| ${c.name} | ${f.kind}: ${f.heldOut} | ${f.n} | ${f3(f.auroc)} | ${f3(f.tpr1)} |`)),
    '',
  ];
  return { best, summary, folds: Object.fromEntries(results), markdown: lines.join('\n') };
}
