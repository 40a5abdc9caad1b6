import type { Label, Profile } from '@detector/contract';

/** A check remembered in this browser when no API key is in use. */
export interface LocalCheck {
  at: string;
  label: Label;
  probability: number;
  profile: Profile;
  /** The caller's own rate, when one was chosen instead of the profile's. */
  maxFpr?: number;
  chars: number;
  /** The first words, so the list can be told apart; the full text is never stored. */
  snippet: string;
  source?: string;
}

const KEY = 'detector.recent-checks';
const KEEP = 20;

export function loadChecks(storage: Pick<Storage, 'getItem'> = localStorage): LocalCheck[] {
  try {
    const raw = JSON.parse(storage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(raw) ? raw.filter((c): c is LocalCheck => typeof c?.at === 'string' && typeof c?.probability === 'number') : [];
  } catch {
    return [];
  }
}

export function addCheck(check: LocalCheck, storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): LocalCheck[] {
  const next = [check, ...loadChecks(storage)].slice(0, KEEP);
  try {
    storage.setItem(KEY, JSON.stringify(next));
  } catch {
    // Storage full or disabled (private mode): the list still shows for this visit.
  }
  return next;
}

export function snippetOf(text: string, words = 12): string {
  const parts = text.trim().split(/\s+/);
  return parts.slice(0, words).join(' ') + (parts.length > words ? ' …' : '');
}
