import { ApiError } from '@detector/contract';

interface OcrLine {
  text: string;
  /** Mean recognition confidence, 0 to 1. */
  mean: number;
  box?: Array<[number, number]>;
}
interface OcrModel {
  detect(image: Buffer): Promise<OcrLine[]>;
}

export interface OcrResult {
  text: string;
  /** Character-weighted mean confidence of the kept lines, 0 to 1; 0 when nothing was read. */
  confidence: number;
}

/**
 * The PaddleOCR detection and recognition models, one onnxruntime session each, created on the
 * first image and then reused. Loading waits for the first image so the service is ready at once
 * (the OCR library and its sessions take about 1.6 s to load).
 * Images run one at a time: each already uses `threads` cores, and a bounded wait line turns
 * bursts away with 503 instead of holding decoded images in memory.
 */
export class OcrEngine {
  #model: Promise<OcrModel> | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(private readonly opts: { threads: number; queueMax: number }) {}

  get loaded(): boolean {
    return this.#model !== null;
  }

  async read(image: Buffer): Promise<OcrResult> {
    if (this.#waiting >= this.opts.queueMax) {
      throw new ApiError('queue_full', 'too many images are waiting for text recognition; try again shortly', { retryAfter: 2 });
    }
    this.#waiting++;
    const run = this.#tail.then(async () => {
      const model = await this.#load();
      return model.detect(image);
    });
    this.#tail = run.catch(() => undefined);
    try {
      return joinLines(await run);
    } finally {
      this.#waiting--;
    }
  }

  #load(): Promise<OcrModel> {
    if (!this.#model) {
      // Imported here, not at the top: the OCR library compiles OpenCV (about 1.4 s) when loaded.
      this.#model = import('@gutenye/ocr-node').then(
        ({ default: Ocr }) =>
          Ocr.create({
            onnxOptions: { intraOpNumThreads: this.opts.threads, interOpNumThreads: 1, executionMode: 'sequential' },
          }) as Promise<OcrModel>,
      );
      // A failed load is retried by the next image rather than cached forever.
      this.#model.catch(() => {
        this.#model = null;
      });
    }
    return this.#model;
  }
}

/** Lines close together are one paragraph (wrapped text); a wider gap starts a new one. */
export function joinLines(lines: OcrLine[]): OcrResult {
  const kept = lines.filter((l) => l.text.trim().length > 0);
  if (kept.length === 0) return { text: '', confidence: 0 };
  const top = (l: OcrLine) => Math.min(...(l.box ?? [[0, 0]]).map((p) => p[1]));
  const bottom = (l: OcrLine) => Math.max(...(l.box ?? [[0, 0]]).map((p) => p[1]));
  const heights = kept.map((l) => bottom(l) - top(l)).filter((h) => h > 0);
  const lineHeight = heights.length ? heights.reduce((a, b) => a + b, 0) / heights.length : 0;
  let text = kept[0]!.text.trim();
  for (let i = 1; i < kept.length; i++) {
    const gap = top(kept[i]!) - bottom(kept[i - 1]!);
    const next = kept[i]!.text.trim();
    if (lineHeight > 0 && gap > lineHeight) text += `\n\n${next}`;
    // A word hyphenated across a line break is one word.
    else if (/[a-z]-$/i.test(text) && /^[a-z]/.test(next)) text = `${text.slice(0, -1)}${next}`;
    else text += ` ${next}`;
  }
  const chars = kept.reduce((n, l) => n + l.text.length, 0);
  const confidence = kept.reduce((s, l) => s + l.mean * l.text.length, 0) / chars;
  return { text, confidence };
}
