/**
 * The `/rest/v1` prefix in front of PostgREST that makes it look like Supabase's API gateway, so
 * supabase-js (the gateway, `pnpm keys`) talks to a local PostgREST unchanged.
 */
import http from 'node:http';

export function startRestPrefixProxy(port: number, upstreamPort: number): Promise<http.Server> {
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
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: url.slice('/rest/v1'.length) || '/',
        headers: { ...req.headers, host: `127.0.0.1:${upstreamPort}` },
      },
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
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
