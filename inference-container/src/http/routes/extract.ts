import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '@detector/contract';
import { type ExtractConfig, loadExtractConfig } from '../../extract/config.ts';
import { ExtractSandbox } from '../../extract/sandbox.ts';
import type { AppEnv } from '../app.ts';

// Room for the multipart boundaries and the other form fields around the file itself.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * POST /v1/extract: multipart/form-data with a `file` field (and an optional `filename` that
 * overrides the part's own name). Extraction needs no language model, so it answers while the
 * model is still loading; it keeps its own, larger body limit for uploads. The file is read in a
 * process of its own (see sandbox.ts), never in this one.
 */
export function createExtractRoutes(cfg: ExtractConfig, sandbox = new ExtractSandbox(cfg)) {
  return new Hono<AppEnv>().post(
    '/v1/extract',
    bodyLimit({
      maxSize: cfg.EXTRACT_MAX_BYTES + MULTIPART_OVERHEAD_BYTES,
      onError: () => {
        throw new ApiError('payload_too_large', `the file is over ${cfg.EXTRACT_MAX_BYTES} bytes`);
      },
    }),
    async (c) => {
      const type = c.req.header('content-type') ?? '';
      if (!/^multipart\/form-data\b/i.test(type)) {
        throw new ApiError('unsupported_media_type', 'send the file as multipart/form-data in a field named "file"');
      }
      let form: FormData;
      try {
        form = await c.req.raw.formData();
      } catch {
        throw new ApiError('invalid_request', 'the multipart body could not be parsed');
      }
      const file = form.get('file');
      if (!(file instanceof File)) throw new ApiError('invalid_request', 'the form has no file in a field named "file"');
      const name = form.get('filename');
      const result = await sandbox.run(
        {
          bytes: new Uint8Array(await file.arrayBuffer()),
          filename: typeof name === 'string' && name !== '' ? name : file.name,
          contentType: file.type,
        },
        { signal: c.req.raw.signal, log: c.get('service').log },
      );
      return c.json(result);
    },
  );
}

export const extractRoutes = createExtractRoutes(loadExtractConfig());
