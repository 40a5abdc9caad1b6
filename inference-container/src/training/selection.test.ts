import { describe, expect, it } from 'vitest';
import { rng } from '../detectors/heads/mlp.ts';
import { auroc } from '../detectors/metrics.ts';
import type { Featurized } from './featurize.ts';
import { featureRows, fitHead, labelsOf, scoreRows } from './fit-detector.ts';
import { generalisation, SELECTION_ITERATIONS, type Candidate } from './selection.ts';

/**
 * Two layers of four numbers each. Layer 1 carries the label in every domain and generator;
 * layer 0 is noise, so a candidate reading layer 1 must win every column and the objective.
 */
function synthetic(n: number, seed: number): Featurized[] {
  const rand = rng(seed);
  const domains = ['news', 'essays', 'wiki'], generators = ['g1', 'g2', 'g3'];
  return Array.from({ length: n }, (_, i) => {
    const ai = i % 2 === 1;
    const pooled = new Float32Array(8);
    for (let j = 0; j < 8; j++) pooled[j] = rand() - 0.5 + (j >= 4 && ai ? 1.5 : 0);
    const series = Float32Array.from({ length: 10 }, () => -rand());
    return {
      example: { text: `t${i}`, label: ai ? 'ai' : 'human', domain: domains[i % 3], generator: ai ? generators[(i >> 1) % 3] : 'human' },
      text: `t${i}`,
      features: { tokens: 10, windows: 1, layers: 2, hidden: 4, meanPooled: pooled, logprob: series, expected: series, variance: series.map(() => 1) },
    } as Featurized;
  });
}

const candidate = (name: string, layer: number, l2 = 1e-2): Candidate => ({
  name,
  description: name,
  spec: () => ({ layers: [layer], pooling: 'mean', logprob_stats: [], text_stats: [], style_stats: [] }),
  head: { type: 'logistic_regression', l2 },
});

describe('generalisation', () => {
  it('scores unseen domains, unseen generators and the held-out split, and picks the best mean', async () => {
    const fit = synthetic(240, 1), cal = synthetic(120, 2);
    const { best, summary, folds, markdown } = await generalisation(fit, cal, [candidate('noise', 0), candidate('signal', 1)], 2, () => {});
    expect(best.name).toBe('signal');
    const [noise, signal] = summary;
    expect(signal!.lodo_auroc_mean).toBeGreaterThan(0.95);
    expect(signal!.logo_auroc_mean).toBeGreaterThan(0.95);
    expect(signal!.heldout_auroc).toBeGreaterThan(0.95);
    expect(noise!.heldout_auroc).toBeLessThan(0.75);
    // Three domains, three generators and one held-out split per candidate.
    expect(folds.signal!.map((f) => f.kind)).toEqual(['domain', 'domain', 'domain', 'generator', 'generator', 'generator', 'held-out']);
    expect(markdown).toContain('| signal (chosen) |');
  });

  it("scores an ensemble from its members' folds exactly as refitting the ensemble would", async () => {
    const fit = synthetic(240, 3), cal = synthetic(120, 4);
    const a = candidate('a', 1, 1e-2), b = candidate('b', 1, 3);
    const ens: Candidate = {
      name: 'a+b', description: 'a+b', spec: a.spec,
      head: { type: 'ensemble', members: [{ type: 'logistic_regression', l2: 1e-2 }, { type: 'logistic_regression', l2: 3 }] },
      members: ['a', 'b'],
    };
    const { folds, summary } = await generalisation(fit, cal, [a, b, ens], 2, () => {});
    expect(summary.map((s) => s.candidate)).toEqual(['a', 'b', 'a+b']);
    expect(folds['a+b']!.map((f) => f.kind)).toEqual(folds.a!.map((f) => f.kind));
    const spec = a.spec(2);
    const refit = fitHead(featureRows(fit, spec), labelsOf(fit), ens.head, SELECTION_ITERATIONS);
    expect(refit.head.type).toBe('ensemble');
    const heldOut = folds['a+b']!.find((f) => f.kind === 'held-out')!;
    expect(heldOut.auroc).toBeCloseTo(auroc(scoreRows(refit, featureRows(cal, spec)), labelsOf(cal)), 12);
  });

  it('refuses an ensemble whose members are not in the selection', async () => {
    const ens: Candidate = { ...candidate('x', 1), name: 'x', members: ['missing', 'a'] };
    await expect(generalisation(synthetic(60, 5), synthetic(30, 6), [candidate('a', 1), ens], 2, () => {})).rejects.toThrow(/needs candidate missing/);
  });
});
