import { z } from 'zod';
import { labelSchema, profileSchema } from './detect.ts';
import { ERROR_STATUS, type ErrorCode } from './errors.ts';
import { logprobStatsSchema, poolingSchema, tokenScoreSchema, windowSpanSchema } from './inference.ts';

/*
 * What the two services answer, as zod: the gateway checks a backend's answer against these before
 * it caches or returns it, both OpenAPI documents are generated from them, and the typed client
 * checks what it receives. Objects are closed in the documents (a field not described here is a
 * contract change), and parsing drops unknown fields rather than failing on them.
 */

const probability = z.number().min(0).max(1);

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

/** Known codes: too_short, unsupported_language, normalized_evasion, long_text_windows, between_thresholds, out_of_distribution, max_fpr_unattainable; others may be added. */
export const detectWarningSchema = z.object({ code: z.string(), message: z.string() });
export type DetectWarning = z.infer<typeof detectWarningSchema>;

export const scoredSpanSchema = z.object({
  char_start: z.number().int(),
  char_end: z.number().int(),
  score: z.number(),
  probability,
});
export type ScoredSpan = z.infer<typeof scoredSpanSchema>;

export const detectResultSchema = z.object({
  label: labelSchema,
  /** Probability that a model wrote the text (the head's calibrated output). */
  probability,
  /** Raw decision score; compared with `threshold`. */
  score: z.number(),
  profile: profileSchema,
  threshold: z.number(),
  /** False-positive rate on human text from sources the detector never saw, at this threshold, for texts of this length. */
  fpr: z.number(),
  /** Below this score the text is called `human` (null where the detector has no rule for it). */
  human_threshold: z.number().nullable().optional(),
  /** Share of machine text from sources the detector never saw that is answered `human`, for texts of this length. */
  miss_rate: z.number().nullable().optional(),
  /** The `max_fpr` the caller asked for, when one was. */
  max_fpr: z.number().optional(),
  /** The length band (tokens) whose measured rates `fpr` and `miss_rate` are. */
  length_band: z.object({ min_tokens: z.number().int(), max_tokens: z.number().int().nullable() }).nullable().optional(),
  detector: z.object({ name: z.string(), version: z.string(), model: z.string() }),
  tokens: z.number().int().min(0),
  windows: z.array(scoredSpanSchema.extend({ token_start: z.number().int(), token_end: z.number().int() })),
  sentences: z.array(scoredSpanSchema).optional(),
  warnings: z.array(detectWarningSchema),
  /** The text as scored when normalisation changed it (evasion characters removed). */
  normalized_text: z.string().optional(),
});
export type DetectResult = z.infer<typeof detectResultSchema>;

const itemError = z.object({ index: z.number().int().min(0), error: z.object({ code: z.string(), message: z.string() }) });

export const detectItemSchema = z.union([detectResultSchema.extend({ index: z.number().int().min(0) }), itemError]);
export type DetectItem = z.infer<typeof detectItemSchema>;

/** The inference service's POST /v1/detect: `{result}` for one text, `{results}` for a batch. */
export const serviceDetectResponseSchema = z.union([z.object({ result: detectResultSchema }), z.object({ results: z.array(detectItemSchema) })]);
export type ServiceDetectResponse = z.infer<typeof serviceDetectResponseSchema>;

/** The gateway's POST /v1/detect: the service's answer, each result saying whether it came from the cache. */
export const detectResponseSchema = z.union([
  z.object({ result: detectResultSchema, cached: z.boolean() }),
  z.object({ results: z.array(z.union([detectResultSchema.extend({ index: z.number().int().min(0), cached: z.boolean() }), itemError])) }),
]);
export type DetectResponse = z.infer<typeof detectResponseSchema>;

/**
 * POST /analyze in the original design's shape: the original's three fields first, then what the
 * original lacked. `prediction` is 1 (machine) or 0 (human) and `is_fake` is `prediction === 1`.
 * An abstention (`label: "uncertain"`) answers `prediction: 0`, `is_fake: false` and
 * `confidence: 0`: an original client acts on `prediction == 1` (it flags the text), and flagging a
 * text the service could not judge would be an accusation at a false-positive rate nobody measured.
 * The abstention itself is in `label`, `confidence` and `warnings`; it is never a human verdict.
 */
export const serviceAnalyzeResponseSchema = z.object({
  /** 1: written by a model, 0: by a person (an int, as the original answered). */
  prediction: z.int().min(0).max(1),
  /** Probability of machine authorship (the head's calibrated output). */
  probability,
  is_fake: z.boolean(),
  /** `ai`, `human`, or `uncertain` when the service abstained (the reason is in `warnings`). */
  label: labelSchema,
  warnings: z.array(detectWarningSchema),
  detector: z.object({ name: z.string(), version: z.string(), model: z.string() }),
  /** Probability of the reported verdict: `probability` for ai, 1 - `probability` for human, 0 when uncertain. */
  confidence: probability,
});
export type ServiceAnalyzeResponse = z.infer<typeof serviceAnalyzeResponseSchema>;
export const analyzeResponseSchema = serviceAnalyzeResponseSchema.extend({ cached: z.boolean() });
export type AnalyzeResponse = z.infer<typeof analyzeResponseSchema>;

export const extractMethodSchema = z.enum(['plain', 'markdown', 'html', 'pdf', 'docx', 'ocr']);
/** How POST /v1/extract turned the upload into text. */
export type ExtractMethod = z.infer<typeof extractMethodSchema>;
/** Known codes: type_mismatch, ocr, low_confidence, code_removed, empty_pages. */
export const extractWarningSchema = z.object({ code: z.string(), message: z.string() });
export type ExtractWarning = z.infer<typeof extractWarningSchema>;

/** POST /v1/extract answers this for a multipart `file` upload. */
export const extractResponseSchema = z.object({
  text: z.string(),
  /** The type the bytes turned out to be (sniffed), not the type the upload claimed. */
  media_type: z.string(),
  method: extractMethodSchema,
  pages: z.number().int().min(0).optional(),
  /** Length of `text` in UTF-16 code units, as the detect endpoints count it. */
  chars: z.number().int().min(0),
  warnings: z.array(extractWarningSchema),
});
export type ExtractResponse = z.infer<typeof extractResponseSchema>;

export const predictionSchema = z.object({
  request_id: z.string(),
  /** The caller's own X-Request-Id, kept for their correlation only. */
  client_request_id: z.string().nullable(),
  item_index: z.number().int().min(0),
  key_id: z.string().nullable(),
  owner_id: z.string().nullable(),
  route: z.string(),
  text_sha256: z.string(),
  text_length: z.number().int().min(0),
  detector: z.string(),
  detector_version: z.string(),
  label: labelSchema,
  probability,
  /** Warning codes the answer carried (an abstention's reasons among them). */
  warnings: z.array(z.string()).nullable().optional(),
  latency_ms: z.number().int().min(0),
  cached: z.boolean(),
  created_at: z.string(),
});
export type Prediction = z.infer<typeof predictionSchema>;

/** GET /v1/predictions: newest first; pass `next_cursor` back unchanged for the next page. */
export const predictionPageSchema = z.object({ data: z.array(predictionSchema), next_cursor: z.string().nullable() });
export type PredictionPage = z.infer<typeof predictionPageSchema>;

/** GET /v1/usage: the calling key, its tier's limits and its counts per day, newest first. */
export const usageResponseSchema = z.object({
  key: z.string(),
  tier: z.string(),
  limits: z.object({ per_minute: z.number().int(), per_day: z.number().int() }),
  days: z.array(z.object({ day: z.string(), requests: z.number().int().min(0), texts: z.number().int().min(0) })),
});
export type UsageResponse = z.infer<typeof usageResponseSchema>;

export const healthResponseSchema = z.object({ status: z.literal('ok') });

const storeState = z.enum(['ok', 'unreachable', 'memory']);
/**
 * The gateway's GET /ready: 200 when a backend is ready, else 503; the stores are reported, not
 * required. The backends (internal addresses) and the stores are shown only to a caller with the
 * gateway's OPERATOR_TOKEN; others get `status` alone.
 */
export const gatewayReadySchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  backends: z.array(z.object({ url: z.string(), ready: z.boolean() })).optional(),
  redis: storeState.optional(),
  database: storeState.optional(),
});
export type GatewayReady = z.infer<typeof gatewayReadySchema>;

/** The inference service's GET /ready: 200 once the model is loaded, 503 while it loads. */
export const serviceReadySchema = z.union([
  z.object({ status: z.literal('ready'), ready_after_ms: z.number().nullable() }),
  z.object({ status: z.literal('loading') }),
]);

export const detectorListSchema = z.object({
  data: z.array(
    z.object({
      name: z.string(),
      version: z.string(),
      default: z.boolean(),
      description: z.string(),
      model: z.string(),
      head: z.string(),
      thresholds: z.record(profileSchema, z.object({ score: z.number(), fpr: z.number(), target_fpr: z.number() })),
      min_tokens: z.number().int(),
      /** The original design's selectors that pick this detector. */
      aliases: z.array(z.object({ model_name: z.string().optional(), layer: z.number().int().optional(), classifier_type: z.string().optional() })),
      metrics: z.record(z.string(), z.unknown()),
    }),
  ),
});

export const modelListSchema = z.object({
  data: z.array(
    z.object({
      name: z.string(),
      default: z.boolean(),
      hidden_size: z.number().int(),
      /** How many hidden-state layers the model exposes. */
      layers: z.number().int(),
      max_tokens: z.number().int(),
      vocab_size: z.number().int(),
      sha256: z.string(),
    }),
  ),
});

const tokenUsage = z.object({ tokens: z.number().int().min(0) });

export const embedResponseSchema = z.object({
  model: z.string(),
  layer: z.number().int(),
  pooling: poolingSchema,
  normalized: z.boolean(),
  dimensions: z.number().int(),
  embeddings: z.array(z.array(z.number())),
  windows: z.array(z.array(windowSpanSchema)),
  usage: tokenUsage,
});

export const featuresResponseSchema = z.object({
  model: z.string(),
  pooling: poolingSchema,
  normalized: z.boolean(),
  results: z.array(
    z.object({
      tokens: z.number().int().min(0),
      windows: z.array(windowSpanSchema),
      /** Layer index (as a string) to the pooled vector. */
      embeddings: z.record(z.string(), z.array(z.number())),
      logprob: logprobStatsSchema.optional(),
      per_token: z.array(tokenScoreSchema).optional(),
    }),
  ),
  usage: tokenUsage,
});
