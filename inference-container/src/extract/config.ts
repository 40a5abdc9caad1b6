import os from 'node:os';
import { envInt, parseEnv } from '@detector/contract';
import { z } from 'zod';

const int = envInt;

/** File and image extraction settings; env vars with defaults, validated once at start-up. */
const extractConfigFields = z.object({
  /** Largest upload accepted, in bytes. */
  EXTRACT_MAX_BYTES: int(10 * 1024 * 1024, 1024),
  /** Longest extracted text returned, in characters; longer documents are refused, not cut. */
  /** Parts of one multipart upload (the file, its name, a few extras); counted before any is parsed. */
  EXTRACT_MAX_PARTS: int(8, 1),
  /** Bytes of one part's headers; a real part's are a few hundred. */
  EXTRACT_MAX_PART_HEADER_BYTES: int(4096, 256),
  EXTRACT_MAX_CHARS: int(500_000, 1),
  EXTRACT_MAX_PDF_PAGES: int(200, 1),
  /** Sum of a .docx archive's uncompressed entries, declared and actual. */
  EXTRACT_MAX_UNZIPPED_BYTES: int(64 * 1024 * 1024, 1024),
  /**
   * Sum of a .docx archive's XML parts, which are parsed into memory (media entries are not); the
   * parser holds about 55 times the XML's size at its peak (15.5 MB of XML: 880 MB).
   */
  EXTRACT_MAX_XML_BYTES: int(8 * 1024 * 1024, 1024),
  EXTRACT_MAX_ZIP_ENTRIES: int(2000, 1),
  /** Highest compression ratio one archive entry may claim; real documents stay far below it. */
  EXTRACT_MAX_ZIP_RATIO: int(200, 1),
  /** Decoded pixels (width x height) an image may have; guards against decompression bombs. */
  EXTRACT_MAX_PIXELS: int(40_000_000, 1),
  /** Images are shrunk so their longer side is at most this before OCR. */
  OCR_MAX_SIDE: int(1600, 64),
  /**
   * onnxruntime threads of one extraction process; unset, the cores shared out among the
   * EXTRACT_CONCURRENCY processes that may run at once (more threads than cores only contend).
   */
  OCR_THREADS: z.coerce.number().int().min(1).optional(),
  /**
   * Longer side of the picture the text-detection model sees (PaddleOCR's own default); its cost
   * grows with the area, and text a line of which spans the picture stays legible at this size.
   */
  OCR_DET_MAX_SIDE: int(960, 64),
  /**
   * Text lines recognised in one model call (lines of similar width share a call). On CPU a batch
   * bought no speed and cost memory: a 1000x420 screenshot peaked at 320 MB one line per call and
   * 540 MB eight at a time.
   */
  OCR_REC_BATCH: int(1, 1),
  /** Mean recognition confidence under which the answer carries a low_confidence warning (0-100). */
  OCR_MIN_CONFIDENCE: int(80, 0),
  /**
   * Each upload is read in its own process, so a file that makes a parser loop or balloon costs
   * that process, never the one answering /health. Wall-clock time from the start of the job:
   * kept under 15 s so a hostile file is refused before callers and gateways give up.
   */
  EXTRACT_TIMEOUT_MS: int(12_000, 100),
  /**
   * Resident memory of one extraction process, polled while it runs. Native allocations (sharp,
   * the OCR models on onnxruntime) are invisible to V8's heap limit, so this is the cap that
   * holds; OCR of a 1600-pixel image peaks near 1.1 GB.
   */
  EXTRACT_MAX_RSS_MB: int(1536, 64),
  /** V8 heap of one extraction process (--max-old-space-size); mammoth at the XML limit needs about 450 MB. */
  EXTRACT_MAX_HEAP_MB: int(768, 32),
  /** Extraction processes running at once; worst case memory is this times EXTRACT_MAX_RSS_MB. */
  EXTRACT_CONCURRENCY: int(Math.max(1, Math.min(2, os.availableParallelism())), 1),
  /** Uploads waiting for an extraction process before new ones are turned away with 503. */
  EXTRACT_QUEUE_MAX: int(8, 0),
});

export const extractConfigSchema = extractConfigFields.transform((c) => ({
  ...c,
  OCR_THREADS: c.OCR_THREADS ?? Math.max(1, Math.floor(os.availableParallelism() / c.EXTRACT_CONCURRENCY)),
}));

export type ExtractConfig = z.output<typeof extractConfigSchema>;

export function loadExtractConfig(env: Record<string, string | undefined> = process.env): ExtractConfig {
  return parseEnv(extractConfigSchema, env, { what: 'extraction configuration' });
}
