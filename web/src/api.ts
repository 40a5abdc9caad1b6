import type { DetectResult, ExtractResponse, Profile } from '@detector/contract';
import { parseRetryAfter } from './format.ts';

/** A failed call, carrying the API's stable error code and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiFailure(0, 'network', 'The service could not be reached. Check your connection and try again.');
  }
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  if (!res.ok) {
    throw new ApiFailure(
      res.status,
      body?.error?.code ?? `http_${res.status}`,
      body?.error?.message ?? `The service answered with status ${res.status}.`,
      parseRetryAfter(res.headers.get('retry-after')),
    );
  }
  return body as T;
}

const auth = (key: string): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

/** With a key the account's own limits apply; without one, the rate-limited demo. */
/** `maxFpr`, when given, sets the text's threshold at the caller's own false-positive rate instead of the profile's. */
export async function detect(text: string, profile: Profile, key: string, maxFpr?: number): Promise<DetectResult> {
  const { result } = await call<{ result: DetectResult }>(key ? '/v1/detect' : '/v1/demo/detect', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(key) },
    body: JSON.stringify({ text, profile, sentences: true, ...(maxFpr !== undefined ? { max_fpr: maxFpr } : {}) }),
  });
  return result;
}

export function extract(file: File, key: string): Promise<ExtractResponse> {
  const form = new FormData();
  form.append('file', file, file.name);
  form.append('filename', file.name);
  return call<ExtractResponse>(key ? '/v1/extract' : '/v1/demo/extract', { method: 'POST', headers: auth(key), body: form });
}

/** One row of GET /v1/predictions; the service keeps no text, only its length and hash. */
export interface PredictionRow {
  request_id: string;
  /** Position within its request: every text of one batch shares request_id and created_at. */
  item_index: number;
  created_at: string;
  label: string;
  probability: number;
  text_length: number;
  detector: string;
  detector_version: string;
}

export const predictionRowKey = (r: PredictionRow) => `${r.request_id}:${r.item_index}`;

export async function recentPredictions(key: string, limit = 10): Promise<PredictionRow[]> {
  const page = await call<{ data: PredictionRow[] }>(`/v1/predictions?limit=${limit}`, { headers: auth(key) });
  return page.data;
}
