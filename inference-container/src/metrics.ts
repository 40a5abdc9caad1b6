import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  const m = {
    registry,
    queueDepth: new Gauge({ name: 'inference_queue_depth', help: 'Windows waiting for a model call', labelNames: ['model'], registers: [registry] }),
    batchSize: new Histogram({
      name: 'inference_batch_size',
      help: 'Sequences per model call',
      labelNames: ['model'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'inference_batch_seconds',
      help: 'Duration of one model call',
      labelNames: ['model', 'outputs'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    tokens: new Counter({
      name: 'inference_tokens_total',
      help: 'Tokens run through the model (without padding)',
      labelNames: ['model'],
      registers: [registry],
    }),
    paddedTokens: new Counter({
      name: 'inference_padded_tokens_total',
      help: 'Token positions computed including padding',
      labelNames: ['model'],
      registers: [registry],
    }),
    requestSeconds: new Histogram({
      name: 'http_request_seconds',
      help: 'HTTP request latency',
      labelNames: ['route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
  return m;
}
export type Metrics = ReturnType<typeof createMetrics>;
