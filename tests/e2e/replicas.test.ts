import { describe, expect, it } from 'vitest';
import { inferenceName, killComponent, restartComponent } from '../../scripts/stack/stack.ts';
import { auth, createKey, post, sampleText, stack } from '../support/client.ts';

const replicas = () => stack().env.INFERENCE_URLS!.split(',').length;

describe('two inference replicas', () => {
  it.skipIf(replicas() < 2)('killing one under load fails no request: the gateway retries detection on the other', async () => {
    const k = createKey();
    const statuses: number[] = [];
    let stop = false;
    let sent = 0;
    // Four callers in a loop, each waiting for its answer before the next request.
    const caller = async (n: number) => {
      while (!stop) {
        const res = await post(
          '/v1/detect',
          { texts: [sampleText(`replica ${n} ${sent++} ${crypto.randomUUID()}`), sampleText(`second ${crypto.randomUUID()}`)] },
          auth(k.key),
        );
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    };
    const callers = [0, 1, 2, 3].map(caller);
    const victim = inferenceName(1);
    try {
      // Let requests reach both replicas, then kill one while some are in flight there.
      while (statuses.length < 8) await new Promise((r) => setTimeout(r, 20));
      await killComponent(stack().dir, victim);
      const atKill = statuses.length;
      while (statuses.length < atKill + 16) await new Promise((r) => setTimeout(r, 20));
    } finally {
      stop = true;
      await Promise.all(callers);
      await restartComponent(stack().dir, victim);
    }
    expect(statuses.length).toBeGreaterThanOrEqual(24);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
