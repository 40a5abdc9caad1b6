/** Worker settings for the test stack: small free-tier limits so the limit tests stay short. */
export const FREE_PER_MINUTE = 6;
/** Texts a free key may score per day. */
export const FREE_TEXTS_PER_DAY = 20;

export const TEST_WORKER_VARS: Record<string, string> = {
  RATE_FREE_PER_MINUTE: String(FREE_PER_MINUTE),
  RATE_FREE_PER_DAY: String(FREE_TEXTS_PER_DAY),
  RATE_PRO_PER_MINUTE: '10000',
  RATE_PRO_PER_DAY: '100000',
  DEMO_PER_IP_PER_MINUTE: '1000',
  DEMO_PER_IP_PER_DAY: '5000',
  BREAKER_COOLDOWN_MS: '2000',
  INFERENCE_TIMEOUT_MS: '60000',
  MAX_BATCH_TEXTS: '8',
  DEMO_MAX_TEXT_CHARS: '2000',
  LOG_LEVEL: 'warn',
};
