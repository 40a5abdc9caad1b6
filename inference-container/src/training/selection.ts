import { auroc, tprAtFpr } from '../detectors/metrics.ts';
import { LOGPROB_STATS, TEXT_STATS, type FeatureSpec } from '../detectors/schema.ts';
import type { Featurized } from './featurize.ts';
import { featureRows, fitHead, labelsOf, scoreRows, type HeadConfig } from './fit-detector.ts';

export interface Candidate {
  name: string;
  description: string;
  spec: (layersInOutputs: number) => FeatureSpec;
  head: HeadConfig;
}

const allLayers = (n: number) => Array.from({ length: n }, (_, i) => i);
const spec = (layers: number[], logprob: boolean, text: boolean): FeatureSpec => ({
  layers,
  pooling: 'mean',
  logprob_stats: logprob ? [...LOGPROB_STATS] : [],
  text_stats: text ? [...TEXT_STATS] : [],
});

export const CANDIDATES: Candidate[] = [
  { name: 'last-layer-lr', description: 'logistic regression on the last layer, mean-pooled', spec: (n) => spec([n - 1], false, false), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-lr', description: 'logistic regression on every layer, mean-pooled', spec: (n) => spec(allLayers(n), false, false), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-logprob-lr', description: 'logistic regression on every layer and log-probability statistics', spec: (n) => spec(allLayers(n), true, false), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-logprob-text-lr', description: 'logistic regression on every layer, log-probability and text statistics', spec: (n) => spec(allLayers(n), true, true), head: { type: 'logistic_regression', l2: 1e-3 } },
  { name: 'all-layers-logprob-text-lr-l2', description: 'as all-layers-logprob-text-lr with a 10x stronger penalty', spec: (n) => spec(allLayers(n), true, true), head: { type: 'logistic_regression', l2: 1e-2 } },
  // About a minute per fit on one CPU core, so its 17 fits are most of --select's time.
  { name: 'all-layers-logprob-text-mlp', description: 'one-hidden-layer MLP on every layer, log-probability and text statistics', spec: (n) => spec(allLayers(n), true, true), head: { type: 'mlp', l2: 1e-4, hidden: 32, epochs: 15 } },
];
export const DEFAULT_CANDIDATE = 'all-layers-logprob-text-lr';

/** Fold fits stop earlier than the final fit: rankings settle long before the last digits do. */
const SELECTION_ITERATIONS = 150;

interface Fold {
  kind: 'domain' | 'generator' | 'held-out';
  heldOut: string;
  auroc: number;
  tpr1: number;
  n: number;
}

/**
 * Leave-one-domain-out and leave-one-generator-out evaluation of each candidate: fit without a
 * domain (or generator) and test on it. A detector that only memorised its training domains
 * scores well in-distribution and badly here, which is the failure that matters in production.
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
  const results = new Map<string, Fold[]>();

  for (const cand of candidates) {
    const s = cand.spec(layersInOutputs);
    const folds: Fold[] = [];
    const rowsFit = featureRows(fit, s);
    const rowsAll = featureRows(all, s);
    // `all` is fit then cal, so the calibration rows are the tail of rowsAll.
    const rowsCal = rowsAll.slice(fit.length);
    const rowsCalHuman = rowsCal.filter((_, i) => cal[i]!.example.label === 'human');
    for (const d of domains) {
      const trainIdx = fit.map((it, i) => (it.example.domain !== d ? i : -1)).filter((i) => i >= 0);
      const testIdx = all.map((it, i) => (it.example.domain === d ? i : -1)).filter((i) => i >= 0);
      const h = fitHead(trainIdx.map((i) => rowsFit[i]!), labelsOf(trainIdx.map((i) => fit[i]!)), cand.head, SELECTION_ITERATIONS);
      const sc = scoreRows(h, testIdx.map((i) => rowsAll[i]!));
      const y = labelsOf(testIdx.map((i) => all[i]!));
      folds.push({ kind: 'domain', heldOut: d, auroc: auroc(sc, y), tpr1: tprAtFpr(sc, y, 0.01), n: testIdx.length });
      log(`  ${cand.name} without ${d}: AUROC ${folds.at(-1)!.auroc.toFixed(3)}, TPR@1% ${folds.at(-1)!.tpr1.toFixed(3)}`);
    }
    for (const g of generators) {
      const trainIdx = fit.map((it, i) => (it.example.generator !== g ? i : -1)).filter((i) => i >= 0);
      const testAi = all.map((it, i) => (it.example.generator === g ? i : -1)).filter((i) => i >= 0);
      const h = fitHead(trainIdx.map((i) => rowsFit[i]!), labelsOf(trainIdx.map((i) => fit[i]!)), cand.head, SELECTION_ITERATIONS);
      const sc = Float64Array.from([...scoreRows(h, testAi.map((i) => rowsAll[i]!)), ...scoreRows(h, rowsCalHuman)]);
      const y = Uint8Array.from([...testAi.map(() => 1), ...calHuman.map(() => 0)]);
      folds.push({ kind: 'generator', heldOut: g, auroc: auroc(sc, y), tpr1: tprAtFpr(sc, y, 0.01), n: y.length });
      log(`  ${cand.name} without ${g}: AUROC ${folds.at(-1)!.auroc.toFixed(3)}, TPR@1% ${folds.at(-1)!.tpr1.toFixed(3)}`);
    }
    // The seen distribution counts too: most traffic looks like the domains we trained on.
    const h = fitHead(rowsFit, labelsOf(fit), cand.head, SELECTION_ITERATIONS);
    const sc = scoreRows(h, rowsCal), y = labelsOf(cal);
    folds.push({ kind: 'held-out', heldOut: 'calibration split', auroc: auroc(sc, y), tpr1: tprAtFpr(sc, y, 0.01), n: cal.length });
    log(`  ${cand.name} on the calibration split: AUROC ${folds.at(-1)!.auroc.toFixed(3)}, TPR@1% ${folds.at(-1)!.tpr1.toFixed(3)}`);
    results.set(cand.name, folds);
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
    'the whole fit split and test on the calibration split. TPR is at 1% FPR. The chosen candidate has the',
    'highest mean of the three TPR columns.',
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
