import type { z } from 'zod';
import type { analyzeRequestSchema } from './analyze.ts';
import type { detectRequestSchema } from './detect.ts';
import type { ErrorCode } from './errors.ts';
import {
  analyzeResponseSchema,
  detectResponseSchema,
  errorBodySchema,
  extractResponseSchema,
  gatewayReadySchema,
  healthResponseSchema,
  predictionPageSchema,
  usageResponseSchema,
  type AnalyzeResponse,
  type DetectResponse,
  type DetectResult,
  type ExtractResponse,
  type GatewayReady,
  type PredictionPage,
  type UsageResponse,
} from './responses.ts';
import { gatewayRoutes, type RouteSpec } from './routes.ts';

/**
 * A typed client for the gateway, built on the same route table and schemas the gateway's OpenAPI
 * document is generated from. Every answer is checked against its schema, so a caller never holds
 * a value its type does not describe; every failure is one error type carrying the API's code.
 */

/** The API's error, or `invalid_response` when an answer does not match the contract. */
export class DetectorApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'invalid_response';
  readonly details?: unknown;
  /** Seconds to wait before retrying (429 and 503 answers). */
  readonly retryAfter?: number;
  /** The gateway's X-Request-Id, to quote when reporting a problem. */
  readonly requestId?: string;

  constructor(status: number, code: DetectorApiError['code'], message: string, opts: { details?: unknown; retryAfter?: number; requestId?: string } = {}) {
    super(message);
    this.name = 'DetectorApiError';
    this.status = status;
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
    this.requestId = opts.requestId;
  }
}

export interface ClientOptions {
  /** The gateway's origin, e.g. http://127.0.0.1:8787 */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; the demo, health and readiness routes need none. */
  apiKey?: string;
  fetch?: typeof fetch;
}

/** Rate-limit state from the last answer that carried it. */
export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

export type DetectRequestInput = z.input<typeof detectRequestSchema>;
export type AnalyzeRequestInput = z.input<typeof analyzeRequestSchema>;

const route = (method: RouteSpec['method'], path: string): RouteSpec => {
  const r = gatewayRoutes.find((x) => x.method === method && x.path === path);
  if (!r) throw new Error(`no route ${method} ${path} in the contract`);
  return r;
};

export class DetectorClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  /** Updated from every answer with RateLimit-* headers. */
  rateLimit: RateLimitState | null = null;

  constructor(private readonly opts: ClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** One text: `{result, cached}`; a batch (`texts`): `{results}` with per-item errors. */
  detect(req: DetectRequestInput): Promise<DetectResponse> {
    return this.json('POST', '/v1/detect', detectResponseSchema, { body: req });
  }

  /** One text's result; a convenience over detect(). */
  async detectText(text: string, opts: Omit<DetectRequestInput, 'text' | 'texts'> = {}): Promise<DetectResult & { cached: boolean }> {
    const answer = await this.detect({ ...opts, text });
    if (!('result' in answer)) throw new DetectorApiError(200, 'invalid_response', 'a single text was answered as a batch');
    return { ...answer.result, cached: answer.cached };
  }

  /** The original design's shape. */
  analyze(req: AnalyzeRequestInput): Promise<AnalyzeResponse> {
    return this.json('POST', '/analyze', analyzeResponseSchema, { body: req });
  }

  extract(file: Blob, filename = 'upload'): Promise<ExtractResponse> {
    return this.json('POST', '/v1/extract', extractResponseSchema, { file, filename });
  }

  demoDetect(req: DetectRequestInput): Promise<DetectResponse> {
    return this.json('POST', '/v1/demo/detect', detectResponseSchema, { body: req, anonymous: true });
  }

  demoExtract(file: Blob, filename = 'upload'): Promise<ExtractResponse> {
    return this.json('POST', '/v1/demo/extract', extractResponseSchema, { file, filename, anonymous: true });
  }

  predictions(query: { limit?: number; cursor?: string } = {}): Promise<PredictionPage> {
    return this.json('GET', '/v1/predictions', predictionPageSchema, { query });
  }

  /** Every prediction of the caller, newest first, page by page. */
  async *allPredictions(pageSize = 100): AsyncGenerator<PredictionPage['data'][number]> {
    let cursor: string | undefined;
    do {
      const page = await this.predictions({ limit: pageSize, cursor });
      yield* page.data;
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
  }

  usage(query: { days?: number } = {}): Promise<UsageResponse> {
    return this.json('GET', '/v1/usage', usageResponseSchema, { query });
  }

  health(): Promise<{ status: 'ok' }> {
    return this.json('GET', '/health', healthResponseSchema, { anonymous: true });
  }

  /**
   * Readiness; a 503 answer is a report (`status: 'unavailable'`), not an error. With the
   * gateway's OPERATOR_TOKEN the answer also lists the backends and stores.
   */
  ready(opts: { operatorToken?: string } = {}): Promise<GatewayReady> {
    return this.json('GET', '/ready', gatewayReadySchema, { anonymous: true, alsoOk: [503], bearer: opts.operatorToken });
  }

  private async json<S extends z.ZodType>(
    method: RouteSpec['method'],
    path: string,
    schema: S,
    o: {
      body?: unknown;
      file?: Blob;
      filename?: string;
      query?: Record<string, string | number | undefined>;
      anonymous?: boolean;
      /** Sent instead of the API key (an anonymous route's own token). */
      bearer?: string | undefined;
      alsoOk?: number[];
    },
  ): Promise<z.output<S>> {
    route(method, path); // a path the contract does not list is a bug here, not a 404 later
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {};
    if (this.opts.apiKey && !o.anonymous) headers.authorization = `Bearer ${this.opts.apiKey}`;
    if (o.bearer) headers.authorization = `Bearer ${o.bearer}`;
    let body: string | FormData | undefined;
    if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.body);
    } else if (o.file) {
      const form = new FormData();
      form.append('file', o.file, o.filename);
      body = form;
    }
    const res = await this.doFetch(url, { method, headers, body });
    this.noteRateLimit(res.headers);
    const requestId = res.headers.get('x-request-id') ?? undefined;
    let payload: unknown;
    try {
      payload = await res.json();
    } catch {
      throw new DetectorApiError(res.status, 'invalid_response', `${method} ${path} answered ${res.status} with a body that is not JSON`, { requestId });
    }
    if (res.ok || o.alsoOk?.includes(res.status)) {
      const parsed = schema.safeParse(payload);
      if (parsed.success) return parsed.data;
      const first = parsed.error.issues[0]!;
      throw new DetectorApiError(res.status, 'invalid_response', `${method} ${path}: ${first.path.join('.') || 'body'}: ${first.message}`, {
        requestId,
        details: parsed.error.issues,
      });
    }
    const err = errorBodySchema.safeParse(payload);
    if (!err.success)
      throw new DetectorApiError(res.status, 'invalid_response', `${method} ${path} answered ${res.status} without an error body`, { requestId });
    const retry = Number(res.headers.get('retry-after'));
    throw new DetectorApiError(res.status, err.data.error.code, err.data.error.message, {
      details: err.data.error.details,
      retryAfter: Number.isFinite(retry) && res.headers.has('retry-after') ? retry : undefined,
      requestId,
    });
  }

  private noteRateLimit(h: Headers): void {
    const limit = h.get('ratelimit-limit');
    if (limit === null) return;
    this.rateLimit = { limit: Number(limit), remaining: Number(h.get('ratelimit-remaining')), resetSeconds: Number(h.get('ratelimit-reset')) };
  }
}
