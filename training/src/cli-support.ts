import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@detector/inference-container/config.ts';
import { createLogger } from '@detector/inference-container/log.ts';
import { createMetrics } from '@detector/inference-container/metrics.ts';
import { InferenceService } from '@detector/inference-container/core/service.ts';
import { FeatureCache } from './feature-cache.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The service and feature cache the training and evaluation commands share. */
export async function startOfflineService(opts: { detectors?: boolean } = {}): Promise<{ service: InferenceService; cache: FeatureCache }> {
  const config = loadConfig({ LOG_LEVEL: 'warn', QUEUE_MAX_WINDOWS: '100000', ...process.env });
  const service = new InferenceService(config, createMetrics(), createLogger(config.LOG_LEVEL));
  await service.start({ detectors: opts.detectors ?? false });
  const dir = process.env.FEATURE_CACHE_DIR ?? path.join(REPO_ROOT, '.cache', 'features');
  return { service, cache: new FeatureCache(dir) };
}

/** Tiny --flag value parser; unknown flags are an error so typos do not pass silently. */
export function parseArgs(argv: string[], known: Record<string, 'string' | 'boolean' | 'list'>): Record<string, string | boolean | string[]> {
  const out: Record<string, string | boolean | string[]> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    const kind = known[name];
    if (!kind)
      throw new Error(
        `unknown option --${name}; known: ${Object.keys(known)
          .map((k) => `--${k}`)
          .join(', ')}`,
      );
    if (kind === 'boolean') {
      out[name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    if (kind === 'list') out[name] = [...((out[name] as string[] | undefined) ?? []), value];
    else out[name] = value;
  }
  return out;
}
