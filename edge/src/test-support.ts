import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateApiKey } from './auth/api-key.ts';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { buildServices, type Services } from './services.ts';

export interface Peer {
  url: string;
  requests: Array<{ path: string; body: string; authorization?: string; tenant?: string; budgetMs?: string }>;
  close(): Promise<void>;
}

/**
 * A local HTTP peer speaking the inference service's contract for /ready, /v1/detect and
 * /v1/extract (a fixed text), so the
 * gateway's own logic can be tested in-process. The real service is exercised end to end in tests/.
 */
export async function contractPeer(opts: { status?: number; code?: string; token?: string; malformed?: boolean } = {}): Promise<Peer> {
  const requests: Peer['requests'] = [];
  const result = (text: string) => ({
    label: text.length % 2 ? 'ai' : 'human',
    probability: (text.length % 100) / 100,
    score: 0.5,
    profile: 'strict',
    threshold: 0.4,
    fpr: 0.01,
    detector: { name: 'peer', version: '1.0.0', model: 'tinylm-en-v1' },
    tokens: text.split(/\s+/).length,
    windows: [],
    warnings: [],
  });
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    const h = (name: string) => req.headers[name] as string | undefined;
    requests.push({ path: req.url ?? '', body, authorization: h('authorization'), tenant: h('x-tenant'), budgetMs: h('x-request-budget-ms') });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', ...(status === 503 ? { 'retry-after': '7' } : {}) });
      res.end(JSON.stringify(payload));
    };
    if (req.url === '/ready') return send(200, { status: 'ready' });
    // As the service does with INFERENCE_TOKEN set.
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) return send(401, { error: { code: 'unauthorized', message: 'token' } });
    if (opts.status) return send(opts.status, { error: { code: opts.code ?? 'queue_full', message: 'busy' } });
    if (req.url === '/v1/detect') {
      const b = JSON.parse(body) as { text?: string; texts?: string[] };
      // A release that drifted from the contract: a label no client knows, a probability out of range.
      if (opts.malformed)
        return send(
          200,
          b.text !== undefined
            ? { result: { ...result(b.text), label: 'maybe' } }
            : { results: b.texts!.map((t, index) => ({ index, ...result(t), probability: 2 })) },
        );
      if (b.text !== undefined) return send(200, { result: result(b.text) });
      return send(200, { results: b.texts!.map((t, index) => ({ index, ...result(t) })) });
    }
    if (req.url === '/v1/extract') return send(200, { text: 'An uploaded text.', media_type: 'text/plain', method: 'plain', chars: 17, warnings: [] });
    if (req.url === '/analyze') {
      const r = result((JSON.parse(body) as { text: string }).text);
      // malformed: the shape this answer had before `prediction` became an int.
      if (opts.malformed) return send(200, { prediction: 'Human-written', probability: r.probability, is_fake: false });
      const ai = r.label === 'ai';
      return send(200, {
        prediction: ai ? 1 : 0,
        probability: r.probability,
        is_fake: ai,
        label: r.label,
        warnings: [],
        detector: { name: 'peer', version: '1.0.0' },
        confidence: Math.abs(r.probability - 0.5) * 2,
      });
    }
    return send(404, { error: { code: 'not_found', message: 'no route' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** A loopback port with nothing listening: connections are refused for real. */
export async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

export interface TestGateway {
  app: ReturnType<typeof createApp>;
  services: Services;
  keys: { pro: string; free: string; extractOnly: string; otherOwner: string };
  settle(): Promise<void>;
}

export const OWNER = '11111111-1111-4111-8111-111111111111';
export const OTHER_OWNER = '22222222-2222-4222-8222-222222222222';

export async function testGateway(vars: Record<string, string>): Promise<TestGateway> {
  const keys = { pro: generateApiKey().key, free: generateApiKey().key, extractOnly: generateApiKey().key, otherOwner: generateApiKey().key };
  const config = loadConfig({
    STATIC_API_KEYS: [
      `${keys.pro}:pro:${OWNER}`,
      `${keys.free}:free:${OWNER}`,
      `${keys.extractOnly}:pro:${OWNER}:extract`,
      `${keys.otherOwner}:pro:${OTHER_OWNER}`,
    ].join(','),
    LOG_LEVEL: 'silent',
    ENVIRONMENT: 'local',
    ...vars,
  });
  const services = await buildServices(config);
  const app = createApp(async () => services);
  return {
    app,
    services,
    keys,
    settle: async () => {
      while (services.pending.size) await Promise.all([...services.pending]);
    },
  };
}

export interface LocalRedis {
  /** The Upstash-REST front, as the gateway is configured with it. */
  url: string;
  token: string;
  /** Calls the front has answered (each pipeline is one) and the commands in them. */
  stats(): Promise<{ requests: number; commands: number }>;
  /** One command straight through the front, for assertions. */
  command(...cmd: Array<string | number>): Promise<unknown>;
  close(): Promise<void>;
}

/** A real redis-server on a free port, with no persistence, behind the local stack's Upstash-REST proxy. */
export async function localRedis(): Promise<LocalRedis> {
  const { spawn } = await import('node:child_process');
  const { startRedisRestProxy } = await import('../../scripts/stack/redis-rest-proxy.ts');
  const { RespClient } = await import('../../scripts/stack/resp.ts');
  const free = async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  };
  const redisPort = await free();
  const server = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; ; i++) {
    try {
      (await RespClient.connect(redisPort, '127.0.0.1')).close();
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const token = 't'.repeat(32);
  const proxy = await startRedisRestProxy({ redisPort, token, port: 0 });
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const headers = { authorization: `Bearer ${token}` };
  return {
    url,
    token,
    stats: async () => (await (await fetch(`${url}/stats`, { headers })).json()) as { requests: number; commands: number },
    command: async (...cmd) => ((await (await fetch(url, { method: 'POST', headers, body: JSON.stringify(cmd) })).json()) as { result: unknown }).result,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    },
  };
}
