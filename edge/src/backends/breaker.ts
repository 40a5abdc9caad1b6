export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Per-backend circuit breaker. After `failures` consecutive failures the circuit opens; once
 * `cooldownMs` has passed one caller may probe the backend's health (half-open), and a good probe
 * closes the circuit again.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private failures: number,
    private cooldownMs: number,
    private now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** Milliseconds until a probe is allowed; 0 when closed or due. */
  get retryInMs(): number {
    if (this.openedAt === null) return 0;
    return Math.max(0, this.openedAt + this.cooldownMs - this.now());
  }

  /** True for exactly one caller per half-open period: that caller must probe. */
  tryStartProbe(): boolean {
    if (this.state !== 'half-open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.consecutive = 0;
    this.openedAt = null;
    this.probing = false;
  }

  failure(): void {
    this.consecutive += 1;
    this.probing = false;
    if (this.openedAt !== null || this.consecutive >= this.failures) this.openedAt = this.now();
  }
}
