import { PROFILE_FPR } from '@detector/contract';
import { z } from 'zod';

export const LOGPROB_STATS = [
  'mean_logprob',
  'std_logprob',
  'mean_entropy',
  'std_entropy',
  'fast_detectgpt_per_token',
  'mean_normalized_logprob',
  'logprob_q10',
  'logprob_q25',
  'logprob_q50',
  'logprob_q75',
  'logprob_q90',
  'frac_top_token',
  'log_tokens',
] as const;
export const TEXT_STATS = [
  'mean_word_length',
  'type_token_ratio',
  'mean_sentence_words',
  'std_sentence_words',
  'punctuation_rate',
  'comma_rate',
  'uppercase_rate',
  'digit_rate',
  'newline_rate',
  'first_person_rate',
  'quote_rate',
] as const;
export const STYLE_STATS = [
  'word_log_frequency',
  'word_log_frequency_std',
  'rare_word_rate',
  'common_word_rate',
  'unknown_word_rate',
  'misspelling_rate',
  'model_favourite_rate',
  'contraction_rate',
  'lowercase_i_rate',
  'lowercase_sentence_start_rate',
  'space_before_punctuation_rate',
  'missing_space_after_punctuation_rate',
  'repeated_punctuation_rate',
  'exclamation_rate',
  'question_rate',
  'parenthesis_rate',
  'colon_semicolon_rate',
  'dash_rate',
] as const;

const vector = z.array(z.number().refine(Number.isFinite, 'must be finite'));

export const linearHeadSchema = z.strictObject({ type: z.literal('logistic_regression'), weights: vector, bias: z.number(), l2: z.number() });
export const mlpHeadSchema = z.strictObject({
  type: z.literal('mlp'),
  hidden: z.number().int().positive(),
  /** [hidden][inputs], row-major. */
  w1: vector,
  b1: vector,
  w2: vector,
  b2: z.number(),
  l2: z.number(),
});
const memberHeadSchema = z.discriminatedUnion('type', [linearHeadSchema, mlpHeadSchema]);
/**
 * A weighted sum of member heads' scores over the same standardised features. The weights put
 * each member's scores on one scale (one over its spread on the training data, shared out).
 */
export const ensembleHeadSchema = z.strictObject({
  type: z.literal('ensemble'),
  members: z.array(z.strictObject({ weight: z.number().positive(), head: memberHeadSchema })).min(2),
});
export const headSchema = z.discriminatedUnion('type', [linearHeadSchema, mlpHeadSchema, ensembleHeadSchema]);
export type Head = z.infer<typeof headSchema>;
export type MemberHead = z.infer<typeof memberHeadSchema>;

/** Why a head does not fit `inputs` standardised features, or null when it does. */
export function headShapeError(head: Head, inputs: number): string | null {
  if (head.type === 'logistic_regression') return head.weights.length === inputs ? null : `head has ${head.weights.length} weights for ${inputs} features`;
  if (head.type === 'mlp') {
    const ok = head.w1.length === inputs * head.hidden && head.b1.length === head.hidden && head.w2.length === head.hidden;
    return ok ? null : 'mlp weight shapes do not match';
  }
  for (const [i, m] of head.members.entries()) {
    const e = headShapeError(m.head, inputs);
    if (e) return `ensemble member ${i}: ${e}`;
  }
  return null;
}

/**
 * Per-text thresholds from the nearest human reference texts, and the distance past which the
 * detector abstains (local-calibration.ts). `points` holds the human references'
 * standardised statistics row by row; `scores` their scores from models that never saw their source.
 * `machine_points` (machine-written references) count only for the distance: a text far from all
 * human writing but close to known machine writing is not out of distribution.
 */
/** Measured rates in one band of text length (tokens), leave-one-source-out. */
export const lengthBandRatesSchema = z.strictObject({
  min_tokens: z.number().int().min(0),
  /** Exclusive; null for the last band. */
  max_tokens: z.number().int().nullable(),
  human: z.number().int().min(0),
  machine: z.number().int().min(0),
  fpr: z.number().nullable(),
  tpr: z.number().nullable(),
});
export type LengthBandRates = z.infer<typeof lengthBandRatesSchema>;

/**
 * One point of the detector's operating curve: thresholds at conformal `level` of each text's
 * nearest human references flag `fpr` of human text from sources the detector never saw (the mean
 * over sources; `fpr_p90` the 90th percentile over them) and catch `tpr` of machine text.
 */
export const operatingPointSchema = z.strictObject({
  level: z.number().gt(0).lt(1),
  fpr: z.number().min(0).max(1),
  fpr_p90: z.number().min(0).max(1),
  tpr: z.number().min(0).max(1),
  bands: z.array(lengthBandRatesSchema).default([]),
});
export type OperatingPoint = z.infer<typeof operatingPointSchema>;

/**
 * When the detector may say `human`: only below a low quantile (`level`) of the scores of the
 * machine-written references nearest to the text, so that `human` means "measured unlike machine
 * text", not "not flagged". `miss_rate` is the share of machine text from sources the detector never
 * saw that this rule answers `human` (mean over sources), by length band too.
 */
export const humanRuleSchema = z.strictObject({
  level: z.number().gt(0).lt(0.5),
  neighbours: z.number().int().min(5),
  miss_rate: z.number().min(0).max(1),
  bands: z.array(lengthBandRatesSchema.extend({ miss_rate: z.number().nullable() }).omit({ fpr: true, tpr: true })).default([]),
});
export type HumanRule = z.infer<typeof humanRuleSchema>;

export const localCalibrationSchema = z
  .strictObject({
    stats: z.strictObject({
      logprob_stats: z.array(z.enum(LOGPROB_STATS)),
      text_stats: z.array(z.enum(TEXT_STATS)),
      style_stats: z.array(z.enum(STYLE_STATS)),
    }),
    mean: vector,
    scale: vector,
    points: vector,
    scores: vector,
    machine_points: vector.default([]),
    neighbours: z.number().int().min(10),
    k_distance: z.number().int().min(1),
    max_distance: z.number().positive(),
    strict_level: z.number().gt(0.5).lt(1),
    balanced_level: z.number().gt(0.5).lt(1),
    /** Out-of-source scores of the machine references, in `machine_points` order (for the `human` rule). */
    machine_scores: vector.default([]),
    human_rule: humanRuleSchema.optional(),
    /** The operating curve that `max_fpr` picks a level from, by increasing level. */
    operating_points: z.array(operatingPointSchema).default([]),
  })
  .superRefine((c, ctx) => {
    const dim = c.stats.logprob_stats.length + c.stats.text_stats.length + c.stats.style_stats.length;
    if (c.mean.length !== dim || c.scale.length !== dim) ctx.addIssue({ code: 'custom', message: 'local calibration mean/scale do not match its statistics' });
    if (c.points.length !== c.scores.length * dim) ctx.addIssue({ code: 'custom', message: 'local calibration points do not match its scores' });
    if (c.machine_points.length % Math.max(1, dim) !== 0)
      ctx.addIssue({ code: 'custom', message: 'local calibration machine points do not match its statistics' });
    if (c.scores.length < c.neighbours) ctx.addIssue({ code: 'custom', message: 'fewer references than neighbours' });
    if (c.machine_scores.length > 0 && c.machine_scores.length * Math.max(1, dim) !== c.machine_points.length)
      ctx.addIssue({ code: 'custom', message: 'local calibration machine scores do not match its machine points' });
    if (c.human_rule && c.machine_scores.length < c.human_rule.neighbours)
      ctx.addIssue({ code: 'custom', message: 'fewer machine references than the human rule needs' });
    for (let i = 1; i < c.operating_points.length; i++)
      if (c.operating_points[i]!.level <= c.operating_points[i - 1]!.level)
        ctx.addIssue({ code: 'custom', message: 'operating points must be in increasing level' });
  });
export type LocalCalibration = z.infer<typeof localCalibrationSchema>;

/**
 * A detector is data: which features it reads from which pack, how they are standardised, the
 * head, its thresholds and where it came from. Nothing in it is code or pickled.
 */
export const detectorSchema = z
  .strictObject({
    schema_version: z.literal(1),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    version: z.string().min(1),
    description: z.string().default(''),
    /** The original design's selectors: model_name, layer, classifier_type. */
    aliases: z
      .array(z.strictObject({ model_name: z.string().optional(), layer: z.number().int().optional(), classifier_type: z.string().optional() }))
      .default([]),
    pack: z.strictObject({ name: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    features: z.strictObject({
      layers: z.array(z.number().int().min(0)),
      pooling: z.literal('mean'),
      logprob_stats: z.array(z.enum(LOGPROB_STATS)),
      text_stats: z.array(z.enum(TEXT_STATS)),
      /** Word-list statistics (style-stats.ts); absent in older detectors. */
      style_stats: z.array(z.enum(STYLE_STATS)).default([]),
    }),
    standardizer: z.strictObject({ mean: vector, scale: vector }),
    head: headSchema,
    /** Maps the head's score to a probability (Platt scaling fitted on held-out data). */
    calibration: z.strictObject({
      a: z.number(),
      b: z.number(),
      /**
       * What the sigmoid reads: the raw score, or its margin over the text's own balanced-level
       * threshold, so that the probability speaks for the text's own neighbourhood as the verdict does.
       */
      on: z.enum(['score', 'margin']).default('score'),
    }),
    thresholds: z.strictObject({
      strict: z.strictObject({ score: z.number(), fpr: z.number(), target_fpr: z.literal(PROFILE_FPR.strict) }),
      balanced: z.strictObject({ score: z.number(), fpr: z.number(), target_fpr: z.literal(PROFILE_FPR.balanced) }),
    }),
    min_tokens: z.number().int().min(1),
    /** When present, thresholds are set per text by its neighbours and far-off texts are not answered. */
    local_calibration: localCalibrationSchema.optional(),
    provenance: z.looseObject({ trained_at: z.string(), data: z.array(z.string()), metrics: z.record(z.string(), z.unknown()) }),
  })
  .superRefine((d, ctx) => {
    const dim = featureDimension(d.features, 256);
    if (d.standardizer.mean.length !== d.standardizer.scale.length) ctx.addIssue({ code: 'custom', message: 'standardizer mean and scale differ in length' });
    const inputs = d.standardizer.mean.length;
    const shape = headShapeError(d.head, inputs);
    if (shape) ctx.addIssue({ code: 'custom', message: shape });
    void dim;
  });
export type Detector = z.infer<typeof detectorSchema>;
export type FeatureSpec = Detector['features'];

export function featureDimension(spec: FeatureSpec, hidden: number): number {
  return spec.layers.length * hidden + spec.logprob_stats.length + spec.text_stats.length + (spec.style_stats?.length ?? 0);
}
