import type { Detector } from '@detector/detector-kit/schema.ts';
import type { SourceSummary, UnitResult } from './source-validation.ts';
import { NON_NATIVE_UNITS } from './sources.ts';

const pct = (x: number | null) => (x === null || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? '–' : x.toFixed(3));

/** The leave-one-source-out report: one row per source, as measured with that source left out. */
export function sourceReport(d: Detector, s: SourceSummary, results: UnitResult[], cap: number): string {
  const row = (r: UnitResult) =>
    `| ${r.unit}${(NON_NATIVE_UNITS as readonly string[]).includes(r.unit) ? ' (non-native)' : ''} | ${r.human} | ${r.ai} | ${num(r.auroc)} | ${pct(r.answered)} | ${pct(r.out_of_distribution)} | ${pct(r.strict.fpr)} | ${pct(r.strict.tpr)} | ${pct(r.balanced.fpr)} | ${pct(r.balanced.tpr)} | ${pct(r.strict.fpr_all_humans)} |`;
  return [
    `# ${d.name} ${d.version}: leave-one-source-out`,
    '',
    `Each row is one source (a detect-v1 domain, a detect-v2 file, or outside human writing), measured with the head, the reference texts and the distance limit all set without it. At most ${cap} texts per source and label. Regenerate with \`pnpm train\` (features cached by text hash).`,
    '',
    'Rates are over answered texts (at least ' +
      `${d.min_tokens} tokens and not out of distribution); "strict FPR, all humans" counts every human text of the source, answered or not.`,
    '',
    '## Summary',
    '',
    `- Strict FPR at or under 2% on **${s.human_sources_strict_within_2pct} of ${s.human_sources}** human sources (${pct(s.human_sources_strict_within_2pct / s.human_sources)}); mean ${pct(s.mean_strict_fpr)}, worst ${pct(s.worst_strict_fpr)}.`,
    `- Balanced FPR: mean ${pct(s.mean_balanced_fpr)} over human sources.`,
    `- Non-native human writing (${s.non_native.sources.join(', ')}; ${s.non_native.human_answered} answered texts): strict FPR **${pct(s.non_native.strict_fpr)}**, balanced ${pct(s.non_native.balanced_fpr)}, answered ${pct(s.non_native.answered)}.`,
    `- Mean AUROC over sources with both labels: **${num(s.mean_auroc)}**.`,
    `- Mean TPR over sources with machine text: strict ${pct(s.mean_strict_tpr)}, balanced ${pct(s.mean_balanced_tpr)}.`,
    `- Texts answered: ${pct(s.answered)} (mean over sources).`,
    '',
    '## By source',
    '',
    '| source | human | ai | AUROC | answered | out of distribution | strict FPR | strict TPR | balanced FPR | balanced TPR | strict FPR, all humans |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(row),
    '',
  ].join('\n');
}
