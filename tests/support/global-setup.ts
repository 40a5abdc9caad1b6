import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT, stackDown, stackUp } from '../../scripts/stack/stack.ts';
import { TEST_WORKER_VARS } from './limits.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: { dir: string; env: Record<string, string> };
  }
}

/** One stack per test run, in its own folder so a developer's `pnpm dev` stack is left alone. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = path.join(ROOT, '.stack', `test-${process.pid}`);
  // STACK_INFERENCE_URL: run against an inference service that already runs elsewhere.
  // Two inference replicas, so losing one under load can be tested; an outside service is one.
  const state = await stackUp({
    dir,
    workerVars: TEST_WORKER_VARS,
    inferenceUrl: process.env.STACK_INFERENCE_URL || undefined,
    inferenceToken: process.env.STACK_INFERENCE_TOKEN || undefined,
    inferenceReplicas: 2,
    log: () => undefined,
  });
  project.provide('stack', { dir, env: state.env });
  return async () => {
    await stackDown({ dir, log: () => undefined });
    rmSync(dir, { recursive: true, force: true });
  };
}
