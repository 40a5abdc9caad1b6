import { z } from 'zod';

export const profileSchema = z.enum(['strict', 'balanced']);
export type Profile = z.infer<typeof profileSchema>;

/** The false-positive rate each profile's threshold was calibrated at. */
export const PROFILE_FPR = { strict: 0.01, balanced: 0.05 } as const satisfies Record<Profile, number>;

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
    /** Per-sentence scores with character offsets. */
    sentences: z.boolean().default(false),
    ...legacySelectorFields,
  })
  .refine((b) => (b.text === undefined) !== (b.texts === undefined), { message: 'give exactly one of text or texts', path: ['text'] });
export type DetectRequest = z.infer<typeof detectRequestSchema>;

export const labelSchema = z.enum(['ai', 'human', 'uncertain']);
export type Label = z.infer<typeof labelSchema>;

// Response shapes live in responses.ts; POST /analyze (the original design's shape) in analyze.ts.
