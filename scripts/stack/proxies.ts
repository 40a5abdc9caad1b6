/**
 * The local stack's HTTP fronts, in one process: the Upstash-REST proxy for redis-server and the
 * `/rest/v1` prefix in front of PostgREST that makes it look like Supabase's API gateway.
 * Settings come from the environment (the stack sets them).
 */
import http from 'node:http';
import { startRedisRestProxy } from './redis-rest-proxy.ts';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

function startRestPrefixProxy(port: number, upstreamPort: number): Promise<http.Server> {
  // Requests passed on, for the benchmark's sub-requests per answer (GET /stats).
  let requests = 0;
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ requests }));
      return;
    }
    requests += 1;
    if (!url.startsWith('/rest/v1')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'only /rest/v1 is served here' }));
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: upstreamPort, method: req.method, path: url.slice('/rest/v1'.length) || '/', headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      // What Supabase's gateway answers when the database API is down.
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `upstream unavailable: ${err.message}` }));
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

await startRedisRestProxy({
  redisPort: Number(env('REDIS_PORT')),
  // The stack always sets one; other users of these proxies (tests/ship) may run without Redis.
  redisPassword: process.env.REDIS_PASSWORD || undefined,
  token: env('REDIS_REST_TOKEN'),
  port: Number(env('REDIS_REST_PORT')),
});
await startRestPrefixProxy(Number(env('SUPABASE_PORT')), Number(env('POSTGREST_PORT')));
console.log('proxies listening');
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
