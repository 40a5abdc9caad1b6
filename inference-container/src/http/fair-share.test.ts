import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, startServiceProcess } from '../service-process.ts';

/**
 * Fair share and deadlines against the real service process. Three tenants queue large batches,
 * then a fourth sends one short text: scheduled by tokens per tenant, the short text runs in one
 * of the next batches and is answered before any of the large ones, however long they take on
 * this machine. In arrival order it would be answered last.
 */

let svc: ServiceProcess;
beforeAll(async () => {
  svc = await startServiceProcess({ LANGUAGE_ID: 'off' });
});
afterAll(() => svc?.stop());

const WORDS =
  'the of river quietly budget morning engine letter garden seven winter market thought across yellow station paper careful ancient signal bridge hollow finger'.split(
    ' ',
  );
/** Varied prose-like text of about `chars` characters from a seeded generator (no fixtures). */
function text(chars: number, seed: number): string {
  let x = seed;
  const out: string[] = [];
  let n = 0;
  while (n < chars) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const w = WORDS[x % WORDS.length]!;
    out.push(x % 11 === 0 ? `${w}.` : w);
    n += w.length + 1;
  }
  return out.join(' ');
}

function detect(body: unknown, headers: Record<string, string>) {
  return fetch(`${svc.url}/v1/detect`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function queueDepth(): Promise<number> {
  const metrics = await (await fetch(`${svc.url}/metrics`)).text();
  const m = /^inference_queue_depth\{[^}]*\} (\d+)/m.exec(metrics);
  return m ? Number(m[1]) : 0;
}

describe('fair share between tenants', () => {
  it("answers a fourth tenant's short text before three tenants' large batches", async () => {
    const finished: string[] = [];
    const big = ['a', 'b', 'c'].map((tenant, t) =>
      detect({ texts: Array.from({ length: 4 }, (_, i) => text(4_000, 100 * t + i + 1)) }, { 'x-tenant': tenant }).then(async (res) => {
        expect(res.status).toBe(200);
        finished.push(tenant);
      }),
    );
    // Each large batch is 8 windows; past 16 waiting, all three are queued. Then the short one.
    while ((await queueDepth()) <= 16) await new Promise((r) => setTimeout(r, 10));
    const short = await detect({ text: text(300, 7) }, { 'x-tenant': 'd' });
    expect(short.status).toBe(200);
    finished.push('d');
    await Promise.all(big);
    expect(finished[0]).toBe('d');
  });

  it("refuses work it cannot finish within the caller's budget: 503 deadline_unmeetable with Retry-After", async () => {
    // One answer first, so the service has measured its throughput.
    expect((await detect({ text: text(300, 3) }, {})).status).toBe(200);
    const backlog = detect({ texts: Array.from({ length: 6 }, (_, i) => text(4_000, 900 + i)) }, { 'x-tenant': 'a' });
    while ((await queueDepth()) < 8) await new Promise((r) => setTimeout(r, 10));
    // A short text, which alone would fit in the budget many times over; behind the backlog it cannot.
    const res = await detect({ texts: [text(200, 950)] }, { 'x-tenant': 'a', 'x-request-budget-ms': '300' });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('deadline_unmeetable');
    expect((await backlog).status).toBe(200);
  });

  it('refuses a malformed budget or tenant with 400', async () => {
    expect((await detect({ text: 'x y z' }, { 'x-request-budget-ms': 'soon' })).status).toBe(400);
    expect((await detect({ text: 'x y z' }, { 'x-tenant': 'a b' })).status).toBe(400);
  });
});
