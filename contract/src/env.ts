import { z } from 'zod';

// Settings arrive as strings from the environment (or a Worker's vars); each helper states its
// default so that an unset variable and the documented default are the same thing.

/** An integer setting with a default and a floor. */
export const envInt = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

/** A yes/no setting: `true`/`1` or `false`/`0`; empty means the default. */
export const envBool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** A comma-separated list; blanks dropped. */
export const envList = (def: string) =>
  z
    .string()
    .default(def)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    );

/**
 * Validates settings against their schema once, at start-up, and names every bad variable in one
 * error rather than the first.
 */
export function parseEnv<S extends z.ZodType>(schema: S, vars: unknown, opts: { what?: string; error?: (message: string) => Error } = {}): z.output<S> {
  const parsed = schema.safeParse(vars);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  const message = `invalid ${opts.what ?? 'configuration'}:\n${lines.join('\n')}`;
  throw opts.error ? opts.error(message) : new Error(message);
}
