import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './breaker.ts';

describe('circuit breaker', () => {
  it('opens after consecutive failures, lets one probe through after the cooldown, closes on success', () => {
    let now = 0;
    const b = new CircuitBreaker(3, 1000, () => now);
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    b.failure();
    expect(b.state).toBe('open');
    expect(b.retryInMs).toBe(1000);
    expect(b.tryStartProbe()).toBe(false);
    now = 1000;
    expect(b.state).toBe('half-open');
    expect(b.tryStartProbe()).toBe(true);
    expect(b.tryStartProbe()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
  });

  it('reopens for a full cooldown when the probe fails', () => {
    let now = 0;
    const b = new CircuitBreaker(1, 500, () => now);
    b.failure();
    now = 600;
    expect(b.tryStartProbe()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    expect(b.retryInMs).toBe(500);
  });

  it('forgets isolated failures after a success', () => {
    const b = new CircuitBreaker(2, 500);
    b.failure();
    b.success();
    b.failure();
    expect(b.state).toBe('closed');
  });
});
