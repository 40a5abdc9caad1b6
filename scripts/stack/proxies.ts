/**
 * The local stack's HTTP fronts, in one process: the Upstash-REST proxy for redis-server and the
 * `/rest/v1` prefix in front of PostgREST that makes it look like Supabase's API gateway.
 * Settings come from the environment (the stack sets them).
 */
import { startRedisRestProxy } from './redis-rest-proxy.ts';
import { startRestPrefixProxy } from './rest-prefix-proxy.ts';

const env = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

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
