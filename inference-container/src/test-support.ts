import { loadConfig, type Config } from './config.ts';
import { createLogger } from './log.ts';
import { createMetrics } from './metrics.ts';
import { InferenceService } from './core/service.ts';

/** A started service on the bundled pack, for in-process tests. */
export async function startTestService(env: Record<string, string> = {}): Promise<InferenceService> {
  const config: Config = loadConfig({ ORT_INTRA_OP_THREADS: '2', ...env });
  const service = new InferenceService(config, createMetrics(), createLogger('silent'));
  await service.start();
  return service;
}

export const SAMPLE_TEXTS = [
  'The committee met on Tuesday to discuss the budget for the coming year.',
  'I honestly did not expect the ferry to be late again, but here we are, waiting in the rain with cold coffee.',
  'Photosynthesis converts light energy into chemical energy stored in glucose.',
];

/** Response bodies in tests are read as loosely typed JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };
