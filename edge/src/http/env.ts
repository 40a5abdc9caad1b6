import type { KeyRecord } from '../auth/key-store.ts';
import type { Services } from '../services.ts';

export type AppEnv = {
  Bindings: Record<string, unknown>;
  Variables: {
    services: Services;
    /** Made by the gateway for every request. */
    requestId: string;
    /** The caller's own X-Request-Id, if it sent a usable one. */
    clientRequestId: string | null;
    startedAt: number;
    /** The authenticated key; absent on the demo routes. */
    apiKey?: KeyRecord;
  };
};
