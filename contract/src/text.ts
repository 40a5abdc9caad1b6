import { z } from 'zod';

// Lone surrogates survive JSON.parse ("\ud800" is valid JSON) but are not text; a tokenizer
// would silently turn them into replacement characters and score something the caller never sent.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// C0 controls other than tab, line feed and carriage return, and DEL. C1 controls (U+0080-U+009F)
// are not refused: in real text they are almost always Windows-1252 punctuation decoded as
// Latin-1, and `repairC1Controls` maps them back to what the writer typed.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const C1 = /[\u0080-\u009F]/g;
// Windows-1252's meaning for bytes 0x80-0x9F; the five bytes it leaves undefined map to nothing.
const CP1252 = '€\0‚ƒ„…†‡ˆ‰Š‹Œ\0Ž\0\0‘’“”•–—˜™š›œ\0žŸ';

/** Replaces C1 controls with the Windows-1252 characters they stand for; counts what changed. */
export function repairC1Controls(text: string): { text: string; repaired: number } {
  let repaired = 0;
  const out = text.replace(C1, (ch) => {
    repaired++;
    const mapped = CP1252[ch.charCodeAt(0) - 0x80]!;
    return mapped === '\0' ? '' : mapped;
  });
  return { text: out, repaired };
}

export type TextProblem = 'empty_text' | 'invalid_unicode' | 'control_characters';

/** Returns the first problem that makes a string unfit to score, or null when it is fine. */
export function textProblem(text: string): TextProblem | null {
  if (text.trim().length === 0) return 'empty_text';
  if (LONE_SURROGATE.test(text)) return 'invalid_unicode';
  if (CONTROL.test(text)) return 'control_characters';
  return null;
}

/**
 * The form a text is scored, cached and answered in. NFC only: whitespace and case changes alter
 * scores and character offsets, so texts that differ in them are different requests.
 */
export const toScoredForm = (text: string) => text.normalize('NFC');

/** The message for a text problem; `index` names the item in a batch. */
export function textProblemMessage(problem: TextProblem, index?: number): string {
  const subject = index === undefined ? 'the text' : `texts[${index}]`;
  switch (problem) {
    case 'empty_text':
      return `${subject} is empty or whitespace`;
    case 'invalid_unicode':
      return `${subject} contains an unpaired UTF-16 surrogate`;
    case 'control_characters':
      return `${subject} contains control characters`;
  }
}

export const textSchema = z.string();
