import { AsyncLocalStorage } from 'node:async_hooks';

/** Who asked for a piece of model work, and until when the answer is still wanted. */
export interface Work {
  /** Fair-share unit: the gateway's hashed tenant, `demo` for keyless traffic, `local` otherwise. */
  tenant: string;
  /** Date.now() milliseconds after which nobody is waiting for the answer; absent = no deadline. */
  deadline?: number;
  /** The whole time the caller allows (the budget the deadline was set from), in ms. */
  budgetMs?: number;
  /** Aborted when the caller disconnects. */
  signal?: AbortSignal;
}

export const LOCAL_TENANT = 'local';

/**
 * The current request's Work. It travels with the async call chain so every scorer that reaches
 * the queue carries its caller's tenant and deadline without each signature passing them on.
 */
export const currentWork = new AsyncLocalStorage<Work>();
