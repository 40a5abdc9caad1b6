import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What a running `pnpm start` records in its data folder (removed when it stops). */
export interface StartState {
  pid: number;
  GATEWAY_URL: string;
  INFERENCE_URL: string;
  SUPABASE_URL?: string;
  DATABASE?: string;
}

export function startState(dataDir: string): StartState | null {
  const file = path.join(dataDir, 'state.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StartState) : null;
}
