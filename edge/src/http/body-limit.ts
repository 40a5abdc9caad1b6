import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Config } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { AppEnv } from './env.ts';

/** Rejects an oversized body before anything reads it (checks Content-Length, then counts the stream). */
export const limitBody =
  (setting: (c: Config) => number): MiddlewareHandler<AppEnv> =>
  (c, next) => {
    const maxSize = setting(c.get('services').config);
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError('payload_too_large', `the request body is over ${maxSize} bytes`);
      },
    })(c, next);
  };
