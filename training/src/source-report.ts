import type { Detector, HumanRule, OperatingPoint } from '@detector/detector-kit/schema.ts';
import type { SourceSummary, UnitResult } from './source-validation.ts';
import { NON_NATIVE_UNITS } from './sources.ts';

const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null) => (x === null ? '–' : x.toFixed(3));

export interface ReportExtras {
  levels: { strict: number; balanced: number; human: number };
  points: OperatingPoint[];
  styles: Record<string, { n: number; strict_tpr: number; balanced_tpr: number }>;
  humanRule?: HumanRule;
}

const bandName = (b: { min_tokens: number; max_tokens: number | null }) =>
  b.max_tokens === null ? `${b.min_tokens}+ tokens` : `${b.min_tokens}-${b.max_tokens - 1} tokens`;

/** The leave-one-source-out report: one row per source, as measured with that source left out. */
export function sourceReport(d: Detector, s: SourceSummary, results: UnitResult[], cap: number, x: ReportExtras): string {
  const row = (r: UnitResult) =>
    `| ${r.unit}${(NON_NATIVE_UNITS as readonly string[]).includes(r.unit) ? ' (non-native)' : ''} | ${r.human} | ${r.ai} | ${num(r.auroc)} | ${pct(r.answered)} | ${pct(r.out_of_distribution)} | ${pct(r.strict.fpr)} | ${pct(r.strict.tpr)} | ${pct(r.balanced.fpr)} | ${pct(r.balanced.tpr)} | ${pct(r.miss_rate)} | ${pct(r.human_said)} | ${r.levels.strict} / ${r.levels.balanced} |`;
  const strictPoint = x.points.find((p) => p.level === x.levels.strict);
  const balancedPoint = x.points.find((p) => p.level === x.levels.balanced);
  const bandRows = (strictPoint?.bands ?? []).map((b, i) => {
    const bb = balancedPoint?.bands[i];
    const miss = x.humanRule?.bands[i]?.miss_rate;
    return `| ${bandName(b)} | ${b.human} | ${b.machine} | ${pct(b.fpr)} | ${pct(b.tpr)} | ${pct(bb?.fpr)} | ${pct(bb?.tpr)} | ${pct(miss)} |`;
  });
  return [
    `# ${d.name} ${d.version}: leave-one-source-out`,
    '',
    `Each row is one source (a detect-v1 domain, a detect-v2 or detect-v3 file, or outside human writing), measured with the head, the reference texts, the distance limit and the levels of both profiles all chosen without it. At most ${cap} texts per source and label. Every text is scored in its layout-free form (line breaks and runs of spaces as one space), so a text and the same text with its paragraphs joined get the same verdict. Regenerate with \`pnpm train\` (features cached by text hash).`,
    '',
    'Rates are over answered texts (at least ' +
      `${d.min_tokens} tokens and not out of distribution); "strict FPR, all humans" counts every human text of the source, answered or not. "Miss rate" is the share of machine texts answered \`human\`; "human said" the share of human texts answered \`human\` (the rest of them are \`uncertain\` or flagged).`,
    '',
    '## Summary',
    '',
    `- Strict FPR at or under 2% on **${s.human_sources_strict_within_2pct} of ${s.human_sources}** human sources (${pct(s.human_sources_strict_within_2pct / s.human_sources)}); mean ${pct(s.mean_strict_fpr)}, worst ${pct(s.worst_strict_fpr)}.`,
    `- Balanced FPR at or under 10% on **${s.human_sources_balanced_within_10pct} of ${s.human_sources}** human sources; mean ${pct(s.mean_balanced_fpr)}.`,
    `- Non-native human writing (${s.non_native.sources.join(', ')}; ${s.non_native.human_answered} answered texts): strict FPR **${pct(s.non_native.strict_fpr)}**, balanced ${pct(s.non_native.balanced_fpr)}, answered ${pct(s.non_native.answered)}.`,
    `- Mean AUROC over sources with both labels: **${num(s.mean_auroc)}**.`,
    `- Mean TPR over sources with machine text: strict **${pct(s.mean_strict_tpr)}**, balanced **${pct(s.mean_balanced_tpr)}**.`,
    `- \`human\` said of ${pct(s.mean_miss_rate)} of machine texts (mean over sources with machine text) and of ${pct(s.mean_human_said)} of human texts (mean over human sources).`,
    `- Texts answered: ${pct(s.answered)} (mean over sources).`,
    `- Levels served (chosen on every source): strict ${x.levels.strict}, balanced ${x.levels.balanced} of each text's nearest human references; \`human\` below the ${x.levels.human} quantile of its nearest machine references.`,
    '',
    '## By source',
    '',
    '| source | human | ai | AUROC | answered | out of distribution | strict FPR | strict TPR | balanced FPR | balanced TPR | miss rate | human said | levels (strict / balanced) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(row),
    '',
    '## By length (served levels)',
    '',
    'Rates of each length band, mean over the sources with texts in that band, each source left out.',
    '',
    '| length | human texts | machine texts | strict FPR | strict TPR | balanced FPR | balanced TPR | miss rate |',
    '|---|---|---|---|---|---|---|---|',
    ...bandRows,
    '',
    '## The operating curve (what `max_fpr` picks from)',
    '',
    'Each level of the per-text thresholds, measured leave-one-source-out: mean FPR over human sources, its 90th percentile over them, mean TPR over sources with machine text. A request with `max_fpr` gets the weakest level whose FPR for its length band (the mean where the band has too few texts) is within it.',
    '',
    '| level | mean FPR | FPR, 90th percentile of sources | mean TPR |',
    '|---|---|---|---|',
    ...x.points.map((p) => `| ${p.level} | ${pct(p.fpr)} | ${pct(p.fpr_p90)} | ${pct(p.tpr)} |`),
    '',
    ...(Object.keys(x.styles).length
      ? [
          '## Text by a current model, by the style it was asked for (detect-v3, each file left out)',
          '',
          '| style | texts | strict TPR | balanced TPR |',
          '|---|---|---|---|',
          ...Object.entries(x.styles).map(([k, v]) => `| ${k} | ${v.n} | ${pct(v.strict_tpr)} | ${pct(v.balanced_tpr)} |`),
          '',
          'One generator family only: these rates say nothing about other current models.',
          '',
        ]
      : []),
  ].join('\n');
}
