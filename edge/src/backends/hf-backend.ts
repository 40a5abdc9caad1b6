import type { DetectResult, Profile } from '@detector/contract';
import { ApiError } from '../errors.ts';

/**
 * Hosted text classifiers on the Hugging Face Inference API, as an optional second kind of
 * backend. Callers opt in per request with `detector: "hf:<model>"`.
 */
export interface HfOptions {
  apiUrl: string;
  token: string;
  models: string[];
  aiLabels: string[];
  threshold: number;
}

export const HF_PREFIX = 'hf:';

export function hfModelOf(detector: string | undefined): string | null {
  return detector?.startsWith(HF_PREFIX) ? detector.slice(HF_PREFIX.length) : null;
}

export function buildHfRequest(opts: HfOptions, model: string, texts: string[]): Request {
  if (!opts.models.includes(model)) throw new ApiError('unknown_detector', `hosted model ${model} is not enabled`);
  return new Request(`${opts.apiUrl.replace(/\/$/, '')}/${model}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.token}`, 'content-type': 'application/json' },
    // wait_for_model: a cold hosted model answers 503 otherwise.
    body: JSON.stringify({ inputs: texts.length === 1 ? texts[0] : texts, options: { wait_for_model: true } }),
  });
}

type LabelScore = { label: string; score: number };

/** The API answers `[{label,score}...]` for one input and `[[...], ...]` for several. */
export function parseHfResponse(body: unknown, count: number): LabelScore[][] {
  const isScores = (x: unknown): x is LabelScore[] =>
    Array.isArray(x) && x.every((e) => typeof e === 'object' && e !== null && typeof e.label === 'string' && typeof e.score === 'number');
  if (Array.isArray(body) && body.length === count && body.every(isScores)) return body;
  if (count === 1 && isScores(body)) return [body];
  throw new ApiError('backend_unavailable', 'the hosted model answered in an unexpected shape', { retryAfter: 5 });
}

export function mapHfResult(opts: HfOptions, model: string, scores: LabelScore[], profile: Profile): DetectResult {
  const ai = scores.filter((s) => opts.aiLabels.includes(s.label)).reduce((sum, s) => sum + s.score, 0);
  const probability = Math.min(1, Math.max(0, ai));
  return {
    label: probability >= opts.threshold ? 'ai' : 'human',
    probability,
    score: probability,
    profile,
    threshold: opts.threshold,
    // Hosted models come uncalibrated: there is no measured false-positive rate to report.
    fpr: Number.NaN,
    detector: { name: `${HF_PREFIX}${model}`, version: 'hosted', model },
    tokens: 0,
    windows: [],
    warnings: [{ code: 'uncalibrated', message: 'hosted model: the threshold is not calibrated to a false-positive rate' }],
  };
}

export async function hfDetect(
  opts: HfOptions,
  model: string,
  texts: string[],
  profile: Profile,
  fetchImpl: typeof fetch,
  timeoutMs: number,
): Promise<DetectResult[]> {
  let res: Response;
  try {
    res = await fetchImpl(buildHfRequest(opts, model, texts), { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('backend_unavailable', 'the hosted model is unreachable', { retryAfter: 5 });
  }
  if (!res.ok) {
    throw new ApiError('backend_unavailable', `the hosted model answered ${res.status}`, { retryAfter: res.status === 429 ? 30 : 5 });
  }
  const parsed = parseHfResponse(await res.json(), texts.length);
  return parsed.map((scores) => mapHfResult(opts, model, scores, profile));
}
