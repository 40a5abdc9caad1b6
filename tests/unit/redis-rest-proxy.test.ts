import { describe, expect, it } from 'vitest';
import { rewriteScript } from '../../scripts/stack/redis-rest-proxy.ts';

describe('Lua shebang rewriting for Redis 7.0', () => {
  it('drops the allow-key-locking flag and keeps the rest of the script', () => {
    expect(rewriteScript('#!lua flags=allow-key-locking\nreturn 1')).toBe('#!lua\nreturn 1');
    expect(rewriteScript('#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe('#!lua flags=no-writes\nreturn 1');
  });

  it('leaves scripts without the flag untouched', () => {
    expect(rewriteScript('return redis.call("GET", KEYS[1])')).toBe('return redis.call("GET", KEYS[1])');
    expect(rewriteScript('#!lua flags=no-writes\nreturn 1')).toBe('#!lua flags=no-writes\nreturn 1');
  });
});
