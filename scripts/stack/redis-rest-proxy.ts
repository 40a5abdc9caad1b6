/**
 * An Upstash-REST-compatible front for a local redis-server, so @upstash/redis and
 * @upstash/ratelimit talk to the local stack exactly as to Upstash. Speaks the parts of the REST
 * protocol those clients use: POST / (one command), /pipeline, /multi-exec, bearer-token auth and
 * the `Upstash-Encoding: base64` response encoding.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { RespClient, RespError, type RespValue } from './resp.ts';

// Redis before 7.2 rejects shebang flags it does not know (allow-key-locking is the one
// @upstash/ratelimit sets); the scripts are correct without it.
const UNKNOWN_FLAG = /allow-key-locking/;

export interface ProxyOptions {
  redisPort: number;
  /** redis-server's requirepass. */
  redisPassword?: string;
  token: string;
  port: number;
  host?: string;
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

export function rewriteScript(script: string): string {
  const nl = script.indexOf('\n');
  const first = nl < 0 ? script : script.slice(0, nl);
  if (!first.startsWith('#!') || !UNKNOWN_FLAG.test(first)) return script;
  const [engine, ...rest] = first.split(/\s+/);
  const kept = rest.flatMap((part) => {
    if (!part.startsWith('flags=')) return [part];
    const flags = part
      .slice('flags='.length)
      .split(',')
      .filter((f) => f && !UNKNOWN_FLAG.test(f));
    return flags.length ? [`flags=${flags.join(',')}`] : [];
  });
  return [engine, ...kept].join(' ') + (nl < 0 ? '' : script.slice(nl));
}

export function startRedisRestProxy(opts: ProxyOptions): Promise<http.Server> {
  let client: Promise<RespClient> | null = null;
  const connection = async () => {
    const current = client ? await client.catch(() => null) : null;
    if (current && !current.isClosed) return current;
    client = RespClient.connect(opts.redisPort, '127.0.0.1', opts.redisPassword);
    return client;
  };
  // Original script sha -> sha of the rewritten script as Redis stored it.
  const shaMap = new Map<string, string>();

  const translate = (cmd: string[]): string[] => {
    const name = cmd[0]!.toUpperCase();
    if ((name === 'EVAL' || name === 'EVAL_RO') && cmd[1] !== undefined) {
      const rewritten = rewriteScript(cmd[1]);
      if (rewritten !== cmd[1]) shaMap.set(sha1(cmd[1]), sha1(rewritten));
      return [cmd[0]!, rewritten, ...cmd.slice(2)];
    }
    if ((name === 'EVALSHA' || name === 'EVALSHA_RO') && cmd[1] !== undefined) {
      return [cmd[0]!, shaMap.get(cmd[1].toLowerCase()) ?? cmd[1], ...cmd.slice(2)];
    }
    if (name === 'SCRIPT' && cmd[1]?.toUpperCase() === 'LOAD' && cmd[2] !== undefined) {
      const rewritten = rewriteScript(cmd[2]);
      if (rewritten !== cmd[2]) shaMap.set(sha1(cmd[2]), sha1(rewritten));
      return [cmd[0]!, cmd[1], rewritten];
    }
    return cmd;
  };
  // SCRIPT LOAD must answer the sha the client computed from its own text.
  const untranslate = (cmd: string[], reply: RespValue): RespValue => {
    if (cmd[0]!.toUpperCase() === 'SCRIPT' && cmd[1]?.toUpperCase() === 'LOAD' && typeof reply === 'string') {
      return sha1(cmd[2]!);
    }
    return reply;
  };

  const encodeValue = (v: RespValue, base64: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => encodeValue(x, base64));
    if (typeof v === 'string' && base64 && v !== 'OK') return Buffer.from(v, 'utf8').toString('base64');
    return v;
  };
  const toEntry = (cmd: string[], v: RespValue, base64: boolean) =>
    v instanceof RespError ? { error: v.message } : { result: encodeValue(untranslate(cmd, v), base64) };

  const expected = Buffer.from(`Bearer ${opts.token}`);
  const authorised = (req: http.IncomingMessage) => {
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  // What callers sent, for the benchmark's sub-requests per answer (GET /stats, with the token).
  const stats = { requests: 0, commands: 0 };
  const server = http.createServer(async (req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/health') return reply(200, { status: 'ok' });
    if (!authorised(req)) return reply(401, { error: 'Unauthorized' });
    if (req.method === 'GET' && req.url === '/stats') return reply(200, stats);
    stats.requests += 1;
    if (req.method !== 'POST') return reply(405, { error: 'ERR only POST is supported' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { error: 'ERR body is not valid JSON' });
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const path = (req.url ?? '/').split('?')[0];
    const asCommand = (c: unknown): string[] | null =>
      Array.isArray(c) && c.length > 0 && c.every((a) => ['string', 'number', 'boolean'].includes(typeof a)) ? c.map(String) : null;
    try {
      const redis = await connection();
      if (path === '/' || path === '') {
        const cmd = asCommand(body);
        if (!cmd) return reply(400, { error: 'ERR expected a command array' });
        stats.commands += 1;
        const [v] = await redis.send([translate(cmd)]);
        const entry = toEntry(cmd, v!, base64);
        return reply('error' in entry ? 400 : 200, entry);
      }
      if (path === '/pipeline' || path === '/multi-exec') {
        const cmds = Array.isArray(body) ? body.map(asCommand) : null;
        if (!cmds || cmds.some((c) => c === null)) return reply(400, { error: 'ERR expected an array of commands' });
        const list = cmds as string[][];
        stats.commands += list.length;
        if (path === '/pipeline') {
          const replies = await redis.send(list.map(translate));
          return reply(
            200,
            replies.map((v, i) => toEntry(list[i]!, v, base64)),
          );
        }
        const replies = await redis.send([['MULTI'], ...list.map(translate), ['EXEC']]);
        const exec = replies[replies.length - 1]!;
        if (exec instanceof RespError) return reply(400, { error: exec.message });
        const queuedError = replies.slice(1, -1).find((r) => r instanceof RespError);
        if (queuedError instanceof RespError) return reply(400, { error: queuedError.message });
        if (!Array.isArray(exec)) return reply(400, { error: 'ERR transaction aborted' });
        return reply(
          200,
          exec.map((v, i) => toEntry(list[i]!, v, base64)),
        );
      }
      return reply(404, { error: 'ERR unknown endpoint' });
    } catch (err) {
      return reply(503, { error: `ERR redis unreachable: ${String(err)}` });
    }
  });
  return new Promise((resolve) => server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve(server)));
}
