import { z } from 'zod';

export const poolingSchema = z.enum(['mean', 'last']);
export type Pooling = z.infer<typeof poolingSchema>;

const texts = z.array(z.string()).min(1);

export const embedRequestSchema = z.strictObject({
  texts,
  model: z.string().min(1).optional(),
  /** Negative indexes count from the end: -1 is the last layer. */
  layer: z.number().int().default(-1),
  pooling: poolingSchema.default('mean'),
  normalize: z.boolean().default(false),
});
export type EmbedRequest = z.infer<typeof embedRequestSchema>;

export const featuresRequestSchema = z.strictObject({
  texts,
  model: z.string().min(1).optional(),
  /** Layers whose pooled states to return; empty for none. */
  layers: z.array(z.number().int()).max(64).default([-1]),
  pooling: poolingSchema.default('mean'),
  normalize: z.boolean().default(false),
  /** Log-probability statistics need the vocabulary projection, the costly part of the model. */
  logprob: z.boolean().default(true),
  per_token: z.boolean().default(false),
});
export type FeaturesRequest = z.infer<typeof featuresRequestSchema>;

export const windowSpanSchema = z.object({
  /** Token offsets into the text's tokens (no BOS), end exclusive. */
  token_start: z.number().int(),
  token_end: z.number().int(),
  /** UTF-16 offsets into the text as scored, end exclusive. */
  char_start: z.number().int(),
  char_end: z.number().int(),
});
export type WindowSpan = z.infer<typeof windowSpanSchema>;

export const logprobStatsSchema = z.object({
  /** Number of tokens that were scored (every token of the text). */
  scored_tokens: z.number().int(),
  mean_logprob: z.number(),
  perplexity: z.number(),
  /** Mean entropy of the predicting distributions, in nats. */
  mean_entropy: z.number(),
  /** Fast-DetectGPT analytic criterion: sum(lp - E[lp]) / sqrt(sum Var[lp]). */
  fast_detectgpt: z.number(),
  std_logprob: z.number(),
  /** Mean log-rank proxy: mean of (lp - E[lp]) / sd per token. */
  mean_normalized_logprob: z.number(),
});
export type LogprobStats = z.infer<typeof logprobStatsSchema>;

export const tokenScoreSchema = z.object({
  token: z.string(),
  char_start: z.number().int(),
  char_end: z.number().int(),
  logprob: z.number(),
  entropy: z.number(),
});
export type TokenScore = z.infer<typeof tokenScoreSchema>;
