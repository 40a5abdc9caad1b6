import {
  checkBatchSize,
  legacySelectorFields,
  serviceDetectResponseSchema,
  textProblem,
  textProblemMessage,
  type LegacySelector,
  type DetectRequest,
  type DetectResult,
  type DetectWarning,
} from '@detector/contract';
import type { Context } from 'hono';
import { sha256Hex } from '../auth/api-key.ts';
import { cacheKey, type CacheScope } from '../cache/response-cache.ts';
import { RoundTrip } from '../cache/round-trip.ts';
import { ApiError } from '../errors.ts';
import { backendAnswer, passThrough } from '../http/backend-answer.ts';
import { defer } from '../http/defer.ts';
import type { AppEnv } from '../http/env.ts';
import { chargeAndRead, setHeaders, type Charge } from '../http/rate-limit.ts';
import type { PredictionRow } from '../log/predictions.ts';
import { hfDetect, hfModelOf } from '../backends/hf-backend.ts';

export type ItemOutcome = { result: DetectResult; cached: boolean } | { error: { code: string; message: string } };

export interface DetectionContext {
  tenant: string;
  route: string;
  keyId: string | null;
  ownerId: string | null;
  /** What the caller's limits are charged for this many texts of this many characters, once the batch is known to be acceptable. */
  charge?: (texts: number, chars: number) => Charge;
  /**
   * Put before each answered result's own warnings in the answer, not in the cache: the cached
   * result is the detector's, shared by every request that resolves to the same detector.
   */
  warnings?: DetectWarning[];
}

const DEFAULT_DETECTOR = 'default';

/** The options that change an answer, and so belong in the cache key. */
function answerOptions(req: DetectRequest): Record<string, unknown> {
  const legacy = Object.keys(legacySelectorFields).map((k) => [k, req[k as keyof LegacySelector] ?? null]);
  return { profile: req.profile, max_fpr: req.max_fpr ?? null, sentences: req.sentences, ...Object.fromEntries(legacy) };
}

/** Sends the texts that missed the cache to a backend; per-text outcomes in the same order. */
async function compute(c: Context<AppEnv>, req: DetectRequest, texts: string[], tenant: string, signal?: AbortSignal): Promise<ItemOutcome[] | Response> {
  const s = c.get('services');
  const hfModel = hfModelOf(req.detector);
  if (hfModel !== null) {
    if (!s.hf) throw new ApiError('unknown_detector', 'hosted detectors are not enabled on this gateway');
    const results = await hfDetect(s.hf, hfModel, texts, req.profile, s.fetch, s.config.INFERENCE_TIMEOUT_MS);
    return results.map((result) => ({ result, cached: false }));
  }
  const { text: _t, texts: _ts, ...options } = req;
  const single = texts.length === 1 && req.text !== undefined;
  const body = JSON.stringify(single ? { ...options, text: texts[0] } : { ...options, texts });
  const res = await s.pool.forward({
    method: 'POST',
    path: '/v1/detect',
    headers: { 'content-type': 'application/json', 'x-request-id': c.get('requestId') },
    body,
    tenant: await inferenceTenant(tenant),
    signal,
  });
  // The backend's own errors (unknown detector, text too long...) pass through unchanged.
  if (!res.ok) return passThrough(c, res);
  const payload = await backendAnswer(res, serviceDetectResponseSchema, '/v1/detect', s.log);
  if (single && 'result' in payload) return [{ result: payload.result, cached: false }];
  if (!single && 'results' in payload) {
    const out: Array<ItemOutcome | undefined> = new Array(texts.length);
    for (const item of payload.results) {
      if (item.index >= texts.length || out[item.index] !== undefined) break;
      if ('error' in item) out[item.index] = { error: item.error };
      else {
        const { index, ...result } = item;
        out[index] = { result, cached: false };
      }
    }
    if (out.every((o) => o !== undefined) && payload.results.length === texts.length) return out as ItemOutcome[];
  }
  throw new ApiError('bad_backend_response', 'the inference service answered in a shape the contract does not allow');
}

/**
 * The inference service's fair-share unit: one per key owner (hashed, so the service never sees
 * account ids), and all keyless demo traffic together as one, so demo load cannot crowd out keys.
 */
export async function inferenceTenant(tenant: string): Promise<string> {
  return tenant.startsWith('demo:') ? 'demo' : `t-${(await sha256Hex(tenant)).slice(0, 32)}`;
}

/**
 * One detection request end to end: per-text validation, the tenant-scoped cache, the backend for
 * the misses, and the prediction log after the answer.
 */
export async function runDetection(c: Context<AppEnv>, req: DetectRequest, who: DetectionContext): Promise<Response> {
  const done = await detectOutcomes(c, req, who);
  if (done instanceof Response) return done;
  const extra = who.warnings ?? [];
  const shown = (r: DetectResult): DetectResult => (extra.length === 0 ? r : { ...r, warnings: [...extra, ...r.warnings] });
  if (req.texts === undefined) {
    const only = done[0]!;
    if ('error' in only) throw new ApiError('internal', only.error.message);
    return c.json({ result: shown(only.result), cached: only.cached });
  }
  const results = done.map((o, index) => ('error' in o ? { index, error: o.error } : { index, ...shown(o.result), cached: o.cached }));
  return c.json({ results });
}

/**
 * runDetection up to the answer's body, for routes that present the outcomes in their own shape
 * (/analyze): the per-text outcomes in order, or the backend's error response to pass on.
 */
export async function detectOutcomes(c: Context<AppEnv>, req: DetectRequest, who: DetectionContext): Promise<ItemOutcome[] | Response> {
  const s = c.get('services');
  const batch = req.texts !== undefined;
  const texts = batch ? req.texts! : [req.text!];
  checkBatchSize(texts.length, s.config.MAX_BATCH_TEXTS);
  const charge =
    who.charge?.(
      texts.length,
      texts.reduce((n, t) => n + t.length, 0),
    ) ?? null;
  const detector = req.detector ?? DEFAULT_DETECTOR;
  const scope: CacheScope = { tenant: who.tenant, detector, version: s.config.CACHE_NAMESPACE, options: answerOptions(req) };
  const knownVersion = s.detectorVersions.get(detector);

  const outcomes: Array<ItemOutcome | null> = [];
  const keys: Array<string | null> = [];
  for (const [index, text] of texts.entries()) {
    const problem = textProblem(text);
    if (problem) {
      if (!batch) {
        // Charged like any other request: bad input is no way around the limits.
        await chargeAndRead(c, charge, []);
        throw new ApiError(problem, textProblemMessage(problem));
      }
      outcomes.push({ error: { code: problem, message: textProblemMessage(problem, index) } });
      keys.push(null);
      continue;
    }
    outcomes.push(null);
    keys.push(await cacheKey(s.config.CACHE_NAMESPACE, scope, text));
  }
  const local = !batch && keys[0] != null ? s.cache.local<DetectResult>(keys[0]) : undefined;
  const fresh = (r: DetectResult | undefined) => r !== undefined && (!knownVersion || r.detector.version === knownVersion);
  // What a speculative model call computed for the single text, when Redis then missed.
  let early: ItemOutcome[] | Response | null = null;
  if (fresh(local) && charge && who.keyId !== null && s.speculation.admitsUnchecked(charge.id)) {
    // The isolate holds the answer and the caller had room: answered now, charged after the answer
    // with others' (detect/speculation.ts bounds how far that can run ahead of the check).
    const shown = s.speculation.beginUnchecked(charge.id);
    if (shown) setHeaders(c, shown);
    defer(c, s.deferredCharges.add(charge.id, charge.rules));
    outcomes[0] = { result: local!, cached: true };
  } else {
    early = await checkAndRead(c, req, who, texts, keys, outcomes, charge, local === undefined, fresh);
    if (early instanceof Response) return early;
  }

  const missing = outcomes.flatMap((o, i) => (o === null ? [i] : []));
  // Cache writes and the prediction log leave together, after the answer.
  const after = new RoundTrip(s.redis);
  if (missing.length > 0) {
    const computed =
      early ??
      (await compute(
        c,
        req,
        missing.map((i) => texts[i]!),
        who.tenant,
      ));
    if (computed instanceof Response) return computed;
    missing.forEach((i, j) => {
      const o = computed[j]!;
      outcomes[i] = o;
      if ('result' in o) {
        s.detectorVersions.set(detector, o.result.detector.version);
        s.cache.queueWrite(after, keys[i]!, o.result);
      }
    });
  }

  const done = outcomes as ItemOutcome[];
  const hits = done.filter((o) => 'result' in o && o.cached).length;
  const answered = done.filter((o) => 'result' in o).length;
  c.header('X-Cache', hits === 0 ? 'MISS' : hits === answered ? 'HIT' : 'PARTIAL');
  defer(c, logPredictions(c, who, texts, done, after));
  return done;
}

/**
 * Charges the limits and reads the cache (one round trip to Redis), filling `outcomes` with the
 * hits. For a keyed caller's single text that Redis is likely to miss, the model call leaves
 * beside it (detect/speculation.ts): its outcome is returned when Redis did miss, and cancelled
 * otherwise; Redis's answer decides.
 */
async function checkAndRead(
  c: Context<AppEnv>,
  req: DetectRequest,
  who: DetectionContext,
  texts: string[],
  keys: Array<string | null>,
  outcomes: Array<ItemOutcome | null>,
  charge: Charge | null,
  notLocal: boolean,
  fresh: (r: DetectResult | undefined) => boolean,
): Promise<ItemOutcome[] | Response | null> {
  const s = c.get('services');
  const batch = req.texts !== undefined;
  // A keyed caller's single text goes to the model now, beside the round trip to Redis, when the
  // gate judges a refusal or a hit unlikely (detect/speculation.ts); Redis's answer still decides.
  const readsRedis = !batch && keys[0] != null && notLocal;
  const speculating = readsRedis && who.keyId !== null && charge !== null && hfModelOf(req.detector) === null && s.speculation.allows(charge.id);
  const cancel = new AbortController();
  const early = speculating ? compute(c, req, texts, who.tenant, cancel.signal) : null;
  // Observed below when used; a cancelled or unused call's failure is nobody's answer.
  early?.catch(() => {});
  // The limits and the cache reads in one round trip to Redis.
  let found: Map<string, DetectResult>;
  try {
    found = await chargeAndRead<DetectResult>(
      c,
      charge,
      keys.filter((k): k is string => k !== null),
    );
  } catch (err) {
    cancel.abort();
    throw err;
  }
  keys.forEach((key, i) => {
    const hit = key === null ? undefined : found.get(key);
    // A hit from before a detector release is stale even inside its TTL.
    if (fresh(hit)) outcomes[i] = { result: hit!, cached: true };
  });
  if (readsRedis) s.speculation.noteRead(outcomes[0] !== null);
  if (early && outcomes[0] !== null) cancel.abort();
  if (!early || outcomes[0] !== null) return null;
  return await early;
}

async function logPredictions(c: Context<AppEnv>, who: DetectionContext, texts: string[], outcomes: ItemOutcome[], after: RoundTrip): Promise<void> {
  const s = c.get('services');
  const latency = Math.round(performance.now() - c.get('startedAt'));
  const createdAt = new Date().toISOString();
  const rows: PredictionRow[] = [];
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i]!;
    if (!('result' in o)) continue;
    rows.push({
      request_id: c.get('requestId'),
      client_request_id: c.get('clientRequestId'),
      item_index: i,
      key_id: who.keyId,
      owner_id: who.ownerId,
      route: who.route,
      text_sha256: await sha256Hex(texts[i]!),
      text_length: texts[i]!.length,
      detector: o.result.detector.name,
      detector_version: o.result.detector.version,
      label: o.result.label,
      warnings: o.result.warnings.map((w) => w.code),
      probability: o.result.probability,
      latency_ms: latency,
      cached: o.cached,
      created_at: createdAt,
    });
  }
  await s.predictionLog.record(
    {
      request_id: c.get('requestId'),
      rows,
      usage: who.keyId ? { key_id: who.keyId, day: createdAt.slice(0, 10), texts: texts.length } : null,
    },
    after,
  );
}
