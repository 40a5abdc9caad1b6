import { z } from 'zod';

/** The model-pack contract: what the service relies on from manifest.json. */
export const manifestSchema = z.looseObject({
  name: z.string().min(1),
  hidden_size: z.number().int().positive(),
  num_layers: z.number().int().positive(),
  layers_in_outputs: z.number().int().positive(),
  max_sequence_length: z.number().int().min(8),
  vocab_size: z.number().int().positive(),
  bos_token_id: z.number().int().min(0),
  prepend_bos: z.boolean(),
  padding_side: z.literal('right'),
  pad_token_id: z.number().int().min(0),
  model_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Optional: packs may pin their tokenizer too. */
  tokenizer_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const PACK_OUTPUTS = ['mean_pooled', 'last_token', 'token_logprob', 'expected_logprob', 'logprob_variance'] as const;
export type PackOutput = (typeof PACK_OUTPUTS)[number];
