import type { BrowserContext } from 'playwright-core';
import { chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, in a fresh profile folder: no first-run, sync, update or QUIC traffic,
 * since the tests must not reach anything beyond the local servers they start.
 */
export function launchChromium(profileDir: string, viewport?: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
    ...(viewport ? { viewport } : {}),
  });
}
