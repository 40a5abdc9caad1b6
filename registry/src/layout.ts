import { z } from 'zod';

/**
 * How a bucket is laid out under its prefix:
 *
 *   packs/<pack>/manifest.json          the pack's manifest, with `files`: name -> sha256
 *   packs/<pack>/<file>                 model.onnx, tokenizer.json, ...
 *   detectors/<name>/<version>.json     every published detector version
 *   detectors/index.json                which version of each detector is live, with its sha256
 *
 * Rolling a detector back is rewriting index.json to point at the earlier version.
 */
export const PACKS = 'packs';
export const DETECTORS = 'detectors';
export const DETECTOR_INDEX = 'detectors/index.json';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const detectorIndexSchema = z.object({
  detectors: z.array(
    z.object({
      name: z.string().min(1),
      version: z.string().min(1),
      key: z.string().min(1),
      sha256,
    }),
  ),
});
export type DetectorIndex = z.infer<typeof detectorIndexSchema>;

/** The part of manifest.json that says which files make the pack and what they hash to. */
export const packFilesSchema = z.looseObject({
  name: z.string().min(1),
  model_sha256: sha256,
  tokenizer_sha256: sha256.optional(),
  files: z.record(z.string(), sha256).optional(),
});

/** Every file a pack needs with its sha256; refuses a manifest that leaves one unpinned. */
export function packFiles(manifest: z.infer<typeof packFilesSchema>): Record<string, string> {
  const files: Record<string, string> = { ...(manifest.files ?? {}) };
  if (files['model.onnx'] !== undefined && files['model.onnx'] !== manifest.model_sha256) {
    throw new Error(`files['model.onnx'] differs from model_sha256`);
  }
  files['model.onnx'] = manifest.model_sha256;
  if (manifest.tokenizer_sha256) files['tokenizer.json'] = manifest.tokenizer_sha256;
  if (!files['tokenizer.json']) throw new Error('tokenizer.json has no sha256 (tokenizer_sha256 or files)');
  return files;
}
