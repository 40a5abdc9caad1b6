#!/usr/bin/env node
// Container health check: exit 0 when the service answers GET /ready with 200 (packs loaded and
// warm), 1 otherwise (still loading, draining after SIGTERM, or not listening). Plain node, so
// the image needs no curl.
const port = Number(process.env.PORT ?? 8081);
const host = process.env.HEALTHCHECK_HOST ?? '127.0.0.1';
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? 3000);

try {
  const res = await fetch(`http://${host}:${port}/ready`, { signal: AbortSignal.timeout(timeoutMs) });
  await res.body?.cancel();
  if (res.status === 200) process.exit(0);
  console.error(`not ready: GET /ready answered ${res.status}`);
} catch (err) {
  console.error(`not ready: ${err instanceof Error ? err.message : String(err)}`);
}
process.exit(1);
