/**
 * One extraction process: takes a single job from the service over IPC, answers it and exits.
 * Started by sandbox.ts, which holds the deadline and the memory caps and kills this process
 * when either is passed; nothing here needs to guard against hostile input beyond what
 * extractFile already does.
 */
import { ApiError } from '@detector/contract';
import { extractFile } from './extract-file.ts';
import { OcrEngine } from './ocr-engine.ts';
import type { SandboxJob, SandboxReply } from './sandbox.ts';

// The service may die without a chance to kill us; an orphan has nobody to answer.
process.on('disconnect', () => process.exit(0));

process.once('message', async ({ upload, cfg }: SandboxJob) => {
  let reply: SandboxReply;
  try {
    // One image per process: the OCR engine's own wait line never holds more than this job.
    reply = {
      ok: await extractFile(
        upload,
        cfg,
        new OcrEngine({ threads: cfg.OCR_THREADS, queueMax: 1, detMaxSide: cfg.OCR_DET_MAX_SIDE, recBatch: cfg.OCR_REC_BATCH }),
      ),
    };
  } catch (err) {
    reply =
      err instanceof ApiError
        ? { refused: { code: err.code, message: err.message, retryAfter: err.retryAfter } }
        : { crashed: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  process.send!(reply, () => process.exit(0));
});

process.send!({ ready: true } satisfies SandboxReply);
