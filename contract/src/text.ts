import { z } from 'zod';

// Lone surrogates survive JSON.parse ("\ud800" is valid JSON) but are not text; a tokenizer
// would silently turn them into replacement characters and score something the caller never sent.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0/C1 controls other than tab, line feed and carriage return.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

export type TextProblem = 'empty_text' | 'invalid_unicode' | 'control_characters';

/** Returns the first problem that makes a string unfit to score, or null when it is fine. */
export function textProblem(text: string): TextProblem | null {
  if (text.trim().length === 0) return 'empty_text';
  if (LONE_SURROGATE.test(text)) return 'invalid_unicode';
  if (CONTROL.test(text)) return 'control_characters';
  return null;
}

export const textSchema = z.string();
