import { z } from 'zod';

export const profileSchema = z.enum(['strict', 'balanced']);
export type Profile = z.infer<typeof profileSchema>;

/** The false-positive rate each profile's threshold was calibrated at. */
export const PROFILE_FPR: Record<Profile, number> = { strict: 0.01, balanced: 0.05 };

/**
 * POST /v1/detect. One text (`text`) or a batch (`texts`). The original design's fields
 * (`model_name`, `layer`, `classifier_type`) still select a detector when `detector` is absent.
 */
export const detectRequestSchema = z
  .strictObject({
    text: z.string().optional(),
    texts: z.array(z.string()).min(1).optional(),
    detector: z.string().min(1).optional(),
    profile: profileSchema.default('strict'),
    /** Per-sentence scores with character offsets. */
    sentences: z.boolean().default(false),
    model_name: z.string().min(1).optional(),
    layer: z.number().int().optional(),
    classifier_type: z.string().min(1).optional(),
  })
  .refine((b) => (b.text === undefined) !== (b.texts === undefined), { message: 'give exactly one of text or texts', path: ['text'] });
export type DetectRequest = z.infer<typeof detectRequestSchema>;

export const labelSchema = z.enum(['ai', 'human', 'uncertain']);
export type Label = z.infer<typeof labelSchema>;

export interface DetectWarning {
  code: 'too_short' | 'unsupported_language' | 'normalized_evasion' | 'long_text_windows' | string;
  message: string;
}

export interface ScoredSpan {
  char_start: number;
  char_end: number;
  score: number;
  probability: number;
}

export interface DetectResult {
  label: Label;
  /** Probability that a model wrote the text (the head's calibrated output). */
  probability: number;
  /** Raw decision score; compared with `threshold`. */
  score: number;
  profile: Profile;
  threshold: number;
  /** False-positive rate on held-out human text at this threshold. */
  fpr: number;
  detector: { name: string; version: string; model: string };
  tokens: number;
  windows: Array<ScoredSpan & { token_start: number; token_end: number }>;
  sentences?: ScoredSpan[];
  warnings: DetectWarning[];
  /** The text as scored when normalisation changed it (evasion characters removed). */
  normalized_text?: string;
}

export type DetectItem = ({ index: number } & DetectResult) | { index: number; error: { code: string; message: string } };

/** Single text: `{result}`. Batch: `{results}` with per-item errors. */
export type DetectResponse = { result: DetectResult } | { results: DetectItem[] };

// POST /analyze (the original design's shape) lives in analyze.ts.
