import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

// The gateway's demo routes call the same inference endpoints without a key.
const UPSTREAM_PATH: Record<string, string> = { '/v1/demo/detect': '/v1/detect', '/v1/demo/extract': '/v1/extract' };

/**
 * Serves the built page and forwards the API paths to a real inference service, standing in for
 * the gateway's routing (and nothing else: no auth, no rate limits).
 */
export async function serveWeb(distDir: string, inferenceUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(inferenceUrl);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/v1/')) {
      const target = (UPSTREAM_PATH[url.pathname] ?? url.pathname) + url.search;
      const fwd = http.request(
        { host: upstream.hostname, port: upstream.port, path: target, method: req.method, headers: { ...req.headers, host: upstream.host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      fwd.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'backend_unavailable', message: 'the inference service is not reachable' } }));
      });
      req.pipe(fwd);
      return;
    }
    const file = path.join(distDir, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
    const chosen = file.startsWith(distDir) && (await fs.stat(file).then((s) => s.isFile(), () => false)) ? file : path.join(distDir, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[path.extname(chosen)] ?? 'application/octet-stream' });
    res.end(await fs.readFile(chosen));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
