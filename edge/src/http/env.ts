import type { KeyRecord } from '../auth/key-store.ts';
import type { Services } from '../services.ts';

export type AppEnv = {
  Bindings: Record<string, unknown>;
  Variables: {
    services: Services;
    requestId: string;
    startedAt: number;
    /** The authenticated key; absent on the demo routes. */
    apiKey?: KeyRecord;
  };
};
