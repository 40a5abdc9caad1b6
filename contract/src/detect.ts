import { z } from 'zod';

export const profileSchema = z.enum(['strict', 'balanced']);
export type Profile = z.infer<typeof profileSchema>;

/** The false-positive rate each profile's threshold was calibrated at. */
export const PROFILE_FPR = { strict: 0.01, balanced: 0.05 } as const satisfies Record<Profile, number>;

/** The range of false-positive rates a caller may ask for: past 20% a flag means little, under 0.1% nothing was measured. */
export const MAX_FPR_RANGE = { min: 0.001, max: 0.2 } as const;
export const maxFprSchema = z.number().min(MAX_FPR_RANGE.min).max(MAX_FPR_RANGE.max);

/** The original design's detector selector: any of these picks the detector with that alias. */
export const legacySelectorFields = {
  model_name: z.string().min(1).optional(),
  layer: z.number().int().optional(),
  classifier_type: z.string().min(1).optional(),
};
export type LegacySelector = { [K in keyof typeof legacySelectorFields]?: z.infer<(typeof legacySelectorFields)[K]> };

export function hasLegacySelector(sel: LegacySelector): boolean {
  return sel.model_name !== undefined || sel.layer !== undefined || sel.classifier_type !== undefined;
}

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
    /**
     * The caller's own false-positive rate: the threshold is set at the most powerful level of the
     * same calibration whose rate, measured on sources the detector never saw, is within it.
     * Overrides `profile`'s operating point (the answer still names the profile).
     */
    max_fpr: maxFprSchema.optional(),
    /** Per-sentence scores with character offsets. */
    sentences: z.boolean().default(false),
    ...legacySelectorFields,
  })
  .refine((b) => (b.text === undefined) !== (b.texts === undefined), { message: 'give exactly one of text or texts', path: ['text'] });
export type DetectRequest = z.infer<typeof detectRequestSchema>;

export const labelSchema = z.enum(['ai', 'human', 'uncertain']);
export type Label = z.infer<typeof labelSchema>;

// Response shapes live in responses.ts; POST /analyze (the original design's shape) in analyze.ts.
