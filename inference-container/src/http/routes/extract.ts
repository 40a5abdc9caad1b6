import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '@detector/contract';
import { type ExtractConfig, loadExtractConfig } from '../../extract/config.ts';
import { ExtractSandbox } from '../../extract/sandbox.ts';
import type { AppEnv } from '../app.ts';

// Room for the multipart boundaries and the other form fields around the file itself.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Counts the parts of a multipart body and measures their headers with native byte searches before
 * the form parser sees it: a 2 MB body of 29,000 tiny fields kept this process (and /health)
 * busy for most of a second inside the parser, and an upload needs only a handful of parts.
 */
export function checkParts(body: Uint8Array, type: string, cfg: Pick<ExtractConfig, 'EXTRACT_MAX_PARTS' | 'EXTRACT_MAX_PART_HEADER_BYTES'>): void {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(type);
  if (!m) throw new ApiError('invalid_request', 'the multipart body has no boundary');
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`--${m[1] ?? m[2]}`);
  const headerEnd = Buffer.from('\r\n\r\n');
  let parts = 0;
  for (let at = buf.indexOf(delimiter); at >= 0; at = buf.indexOf(delimiter, at + delimiter.length)) {
    const after = at + delimiter.length;
    if (buf[after] === 0x2d && buf[after + 1] === 0x2d) break; // the closing delimiter
    if (++parts > cfg.EXTRACT_MAX_PARTS) throw new ApiError('too_many_parts', `the form has more than ${cfg.EXTRACT_MAX_PARTS} parts`);
    const end = buf.indexOf(headerEnd, after);
    if (end < 0 && buf.length - after <= cfg.EXTRACT_MAX_PART_HEADER_BYTES) throw new ApiError('invalid_request', 'the multipart body could not be parsed');
    if (end < 0 || end - after > cfg.EXTRACT_MAX_PART_HEADER_BYTES) {
      throw new ApiError('too_many_parts', `a part's headers are over ${cfg.EXTRACT_MAX_PART_HEADER_BYTES} bytes`);
    }
  }
}

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
      const body = new Uint8Array(await c.req.arrayBuffer());
      checkParts(body, type, cfg);
      let form: FormData;
      try {
        form = await new Response(body, { headers: { 'content-type': type } }).formData();
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
