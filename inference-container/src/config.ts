import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS, envInt, envList, parseEnv } from '@detector/contract';
import { z } from 'zod';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BUNDLED_PACKS_DIR = path.resolve(here, '../models');
export const BUNDLED_PACK = 'tinylm-en-v1';
export const BUNDLED_DETECTORS_DIR = path.resolve(here, '../detectors');
export const BUNDLED_DETECTOR = 'tinylm-detector';

const int = envInt;

/**
 * Every setting is an environment variable with a default, resolved and validated once at
 * start-up so that a bad deployment fails before it takes traffic.
 */
export const configSchema = z
  .object({
    /**
     * `production` or `local`; unset, it follows NODE_ENV (the image sets NODE_ENV=production).
     * Production refuses to start without INFERENCE_TOKEN.
     */
    ENVIRONMENT: z.enum(['production', 'local']).optional(),
    NODE_ENV: z.string().optional(),
    /**
     * Shared secret the gateway sends as `Authorization: Bearer <token>` (its own INFERENCE_TOKEN).
     * Set, every route but /health and /ready requires it; unset (local use only), none does.
     */
    INFERENCE_TOKEN: z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)').optional(),
    HOST: z.string().default('0.0.0.0'),
    PORT: int(8081),
    /** Folder holding one sub-folder per model pack. */
    MODEL_PACKS_DIR: z.string().default(BUNDLED_PACKS_DIR),
    /** Comma-separated pack names to load; the first is the default. */
    MODEL_PACKS: z.string().default(BUNDLED_PACK),
    /** Folder of detector JSON files; detectors for packs that are not loaded are skipped. */
    DETECTORS_DIR: z.string().default(BUNDLED_DETECTORS_DIR),
    DEFAULT_DETECTOR: z.string().default(BUNDLED_DETECTOR),
    /** Abstain on non-English text (fastText lid.176); off saves about 1 s of start-up. */
    LANGUAGE_ID: z.enum(['on', 'off']).default('on'),
    ORT_INTRA_OP_THREADS: int(Math.max(1, os.availableParallelism()), 1),
    /** ONNX Runtime's CPU arena. Off, every tensor goes through malloc: measured here that was both
     *  slower and larger (glibc keeps the freed log-probability tensors in a fragmented heap), so it
     *  stays on and BATCH_MAX_VOCAB_MB bounds what it can grow to. */
    ORT_CPU_MEM_ARENA: z.enum(['on', 'off']).default('on'),
    /** Reuses one planned block per input shape; off, each tensor is allocated on its own. */
    ORT_MEM_PATTERN: z.enum(['on', 'off']).default('on'),
    MAX_TEXT_CHARS: int(100_000, 1),
    MAX_BATCH_TEXTS: int(DEFAULT_LIMITS.maxBatchTexts, 1),
    MAX_BODY_BYTES: int(4 * 1024 * 1024, 1024),
    /** Padded tokens (batch size x longest sequence) one model call may hold. The vocabulary projection
     *  makes a [tokens, vocab] float tensor several times over, so large budgets cost memory, not speed. */
    BATCH_MAX_TOKENS: int(2048, 1),
    /** Megabytes one [tokens x vocab] float tensor of the log-probability statistics may take in one
     *  model call; a batch asking for them is run in slices under it. ONNX Runtime holds several such
     *  tensors at once, so this, not BATCH_MAX_TOKENS, sets the service's peak memory. 0 = no limit.
     *  Each slice runs the whole model on its share, and throughput grows with the slice: measured
     *  with 32 clients, 48 MB gave about 455 MB peak at 0.94 of unsliced throughput, 30 MB 360 MB at
     *  0.90, unsliced 720-780 MB. */
    BATCH_MAX_VOCAB_MB: int(48, 0),
    /** With the model idle a window runs at once; a non-zero value makes it wait this long for company. */
    BATCH_MAX_WAIT_MS: int(0, 0),
    /** Windows one request may need, and waiting in the queue before new requests are turned away with 503
     *  (a tenant with nothing waiting may go to twice this). */
    QUEUE_MAX_WINDOWS: int(1024, 1),
    /** Tokens one tenant (the gateway's X-Tenant) may have waiting for the model; past it, 503 queue_full. */
    QUEUE_TENANT_MAX_TOKENS: int(131_072, 1),
    /** Tenants (X-Tenant) served only when no other tenant waits: the gateway sends all keyless demo work as `demo`. */
    QUEUE_LOW_PRIORITY_TENANTS: envList('demo'),
    /** Padded tokens one low-priority call may hold: how long a keyed request can wait behind keyless work. */
    QUEUE_LOW_PRIORITY_BATCH_TOKENS: int(512, 1),
    /** The most of the model's time low-priority work takes while it alone waits (0 to 1). */
    QUEUE_LOW_PRIORITY_SHARE: z.coerce.number().gt(0).max(1).default(0.25),
    WINDOW_OVERLAP_TOKENS: int(64, 0),
    /** How long SIGTERM waits for in-flight requests before exiting anyway. */
    SHUTDOWN_GRACE_MS: int(15_000, 0),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /**
     * Where packs and detectors come from: empty = MODEL_PACKS_DIR and DETECTORS_DIR as they are;
     * `s3://bucket/prefix` = an S3-compatible bucket, copied into MODEL_CACHE_DIR and checked by
     * sha256 before anything loads. Credentials come from the standard AWS_* variables.
     */
    MODEL_SOURCE: z
      .string()
      .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,62}(\/[^\s]*)?)?$/, 'expected empty or s3://bucket/prefix')
      .default(''),
    MODEL_CACHE_DIR: z.string().default(path.join(os.tmpdir(), 'detector-model-cache')),
    /** For R2, MinIO and other S3-compatible stores; unset = AWS S3. */
    S3_ENDPOINT: z.url().optional(),
    S3_REGION: z.string().min(1).default('auto'),
    /** Path-style URLs (endpoint/bucket/key), which every S3-compatible store accepts. */
    S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).default('true'),
    /** ONNX Runtime execution providers tried before the CPU, comma-separated (the GPU image sets cuda). */
    ORT_EXECUTION_PROVIDERS: z
      .string()
      .regex(
        /^((cuda|tensorrt|dml|coreml|webgpu)(,(cuda|tensorrt|dml|coreml|webgpu))*)?$/,
        'expected a comma-separated list of cuda, tensorrt, dml, coreml, webgpu',
      )
      .default(''),
  })
  .transform(({ NODE_ENV, ...c }) => ({ ...c, ENVIRONMENT: c.ENVIRONMENT ?? (NODE_ENV === 'production' ? 'production' : 'local') }))
  .superRefine((c, ctx) => {
    // An inference service reachable without a credential can be used by anyone who finds it.
    if (c.ENVIRONMENT === 'production' && !c.INFERENCE_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['INFERENCE_TOKEN'],
        message: "required when ENVIRONMENT=production (or NODE_ENV=production); the same value as the gateway's INFERENCE_TOKEN",
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

const OPTIONAL_WHEN_EMPTY = new Set(['ENVIRONMENT', 'INFERENCE_TOKEN', 'NODE_ENV']);

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means unset, as in a compose file's `INFERENCE_TOKEN=`.
  return parseEnv(configSchema, Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== '' || !OPTIONAL_WHEN_EMPTY.has(k))));
}
