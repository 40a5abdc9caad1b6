import { ApiError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { TimeoutError, withTimeout } from '../timeout.ts';
import { CircuitBreaker } from './breaker.ts';

export interface PoolOptions {
  urls: string[];
  timeoutMs: number;
  retries: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  healthTimeoutMs: number;
  /** Sent as `Authorization: Bearer` to every backend (the inference service's INFERENCE_TOKEN). */
  token?: string;
  fetch?: typeof fetch;
  now?: () => number;
}

interface Backend {
  url: string;
  breaker: CircuitBreaker;
}

export interface ForwardRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Buffered, so the same body can be sent again to another backend. */
  body?: ArrayBuffer | string;
  /** Whose fair share of model time this counts against (sent as X-Tenant). */
  tenant?: string;
  /** The caller no longer wants the answer (a speculative call that Redis overtook). */
  signal?: AbortSignal;
}

/** The caller cancelled: nobody waits for this answer, and no backend is to blame. */
export class CancelledError extends Error {
  override name = 'CancelledError';
}

/** Codes of a 503 that says "busy", not "broken": the backend is healthy and its circuit stays closed. */
const BUSY_CODES = new Set(['queue_full', 'deadline_unmeetable']);

/**
 * Spreads requests over the inference backends, round robin over those whose circuit is closed.
 * A connection failure is retried on the next backend; a timeout is not (the work may still be
 * running). Answers the backend gave, errors included, pass through unchanged.
 */
export class BackendPool {
  private backends: Backend[];
  private next = 0;
  private fetchImpl: typeof fetch;
  private now: () => number;

  constructor(
    private opts: PoolOptions,
    private log: Logger,
  ) {
    this.now = opts.now ?? Date.now;
    this.backends = opts.urls.map((url) => ({
      url: url.replace(/\/$/, ''),
      breaker: new CircuitBreaker(opts.breakerFailures, opts.breakerCooldownMs, this.now),
    }));
    // Workers' fetch must be called unbound from the global, not as a method of another object.
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
  }

  status(): Array<{ url: string; state: string }> {
    return this.backends.map((b) => ({ url: b.url, state: b.breaker.state }));
  }

  async forward(req: ForwardRequest): Promise<Response> {
    const tried = new Set<Backend>();
    let lastError: unknown = null;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      if (req.signal?.aborted) throw new CancelledError('the request was cancelled');
      const backend = await this.pick(tried);
      if (!backend) break;
      tried.add(backend);
      try {
        const res = await this.send(backend, req, this.opts.timeoutMs);
        // A backend that refuses the gateway's credentials is misconfigured, not the caller's
        // fault: never pass its 401 on as if the caller's key were wrong.
        if (res.status === 401 || res.status === 403) {
          backend.breaker.failure();
          lastError = new Error(`backend ${backend.url} refused the gateway's INFERENCE_TOKEN (${res.status})`);
          this.log.error('inference backend refused the gateway credentials; check INFERENCE_TOKEN on both sides', {
            backend: backend.url,
            status: res.status,
          });
          continue;
        }
        // 503 from the service means "not ready / queue full here": another backend may take it.
        // A busy backend is not a broken one: only a 503 for another reason counts against its circuit.
        if (res.status === 503) {
          const busy = BUSY_CODES.has(await errorCode(res));
          if (busy) backend.breaker.success();
          else backend.breaker.failure();
          if (attempt < this.opts.retries && this.backends.length > tried.size) {
            lastError = new Error(`backend ${backend.url} answered 503`);
            continue;
          }
          return res;
        }
        backend.breaker.success();
        return res;
      } catch (err) {
        if (err instanceof CancelledError) throw err;
        if (err instanceof TimeoutError) {
          backend.breaker.failure();
          throw new ApiError('timeout', `the inference service did not answer within ${this.opts.timeoutMs} ms`);
        }
        backend.breaker.failure();
        lastError = err;
        this.log.warn('inference backend unreachable', { backend: backend.url, error: String(err) });
      }
    }
    const wait = Math.max(1, Math.ceil(Math.min(...this.backends.map((b) => b.breaker.retryInMs || this.opts.breakerCooldownMs)) / 1000));
    // Why the backends failed (their addresses, a refused token) is for the log, not the caller.
    if (lastError) this.log.warn('no inference backend answered', { error: String(lastError) });
    throw new ApiError('backend_unavailable', 'no inference backend is available', { retryAfter: wait });
  }

  private async send(backend: Backend, req: ForwardRequest, timeoutMs: number): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const cancel = () => controller.abort();
    req.signal?.addEventListener('abort', cancel, { once: true });
    try {
      // The backend refuses work it cannot finish within this budget instead of letting it time out here.
      const headers: Record<string, string> = { ...req.headers, 'x-request-budget-ms': String(timeoutMs) };
      if (req.tenant) headers['x-tenant'] = req.tenant;
      if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
      const res = await withTimeout(
        this.fetchImpl(`${backend.url}${req.path}`, { method: req.method, headers, body: req.body, signal: controller.signal }),
        timeoutMs,
        `inference ${req.path}`,
      );
      // Read the body under the same deadline so a stalled stream counts as a timeout.
      const body = await withTimeout(res.arrayBuffer(), timeoutMs, `inference ${req.path} body`);
      return new Response(body, { status: res.status, headers: res.headers });
    } catch (err) {
      if (req.signal?.aborted) throw new CancelledError(String(err));
      if (controller.signal.aborted) throw new TimeoutError(String(err));
      throw err;
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', cancel);
    }
  }

  /** A closed backend in round-robin order, or a half-open one after a good health probe. */
  private async pick(exclude: Set<Backend>): Promise<Backend | null> {
    const n = this.backends.length;
    for (let i = 0; i < n; i++) {
      const b = this.backends[(this.next + i) % n]!;
      if (exclude.has(b) || b.breaker.state !== 'closed') continue;
      this.next = (this.next + i + 1) % n;
      return b;
    }
    for (const b of this.backends) {
      if (exclude.has(b) || !b.breaker.tryStartProbe()) continue;
      if (await this.probe(b)) return b;
    }
    return null;
  }

  /** GET /ready: 200 only once the model is loaded. */
  async probe(b: Backend): Promise<boolean> {
    try {
      const res = await this.send(b, { method: 'GET', path: '/ready' }, this.opts.healthTimeoutMs);
      if (res.ok) {
        b.breaker.success();
        return true;
      }
    } catch {
      // fall through: the probe failed
    }
    b.breaker.failure();
    return false;
  }

  /**
   * Asks every backend whether it is ready, for /ready and the scheduled handler. An observation
   * only: the circuits are left as they are, since anyone may call /ready as often as they like
   * and its failures must not open a circuit (nor its successes close one before its cooldown).
   */
  async checkAll(): Promise<Array<{ url: string; ready: boolean }>> {
    return Promise.all(
      this.backends.map(async (b) => {
        try {
          return { url: b.url, ready: (await this.send(b, { method: 'GET', path: '/ready' }, this.opts.healthTimeoutMs)).ok };
        } catch {
          return { url: b.url, ready: false };
        }
      }),
    );
  }
}

async function errorCode(res: Response): Promise<string> {
  try {
    const body = (await res.clone().json()) as { error?: { code?: unknown } };
    return typeof body.error?.code === 'string' ? body.error.code : '';
  } catch {
    return '';
  }
}
