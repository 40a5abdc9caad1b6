import { ApiError } from './api-error.ts';
import { textProblem, textProblemMessage, toScoredForm } from './text.ts';

export interface TextLimits {
  maxTextChars: number;
  maxBatchTexts: number;
}

/** The default of the gateway's and the service's MAX_BATCH_TEXTS setting. */
export const DEFAULT_LIMITS = { maxBatchTexts: 64 } as const;

/** Refuses a batch over the limit before any of it is charged, cached or scored. */
export function checkBatchSize(count: number, maxBatchTexts: number): void {
  if (count > maxBatchTexts) throw new ApiError('batch_too_large', `at most ${maxBatchTexts} texts per request, got ${count}`);
}

/**
 * Checks a batch of texts and returns them as the model will see them (NFC, so that character
 * offsets in answers refer to exactly this string).
 */
export function prepareTexts(texts: string[], limits: TextLimits): string[] {
  checkBatchSize(texts.length, limits.maxBatchTexts);
  return texts.map((text, index) => prepareText(text, limits, index));
}

export function prepareText(text: string, limits: TextLimits, index = 0): string {
  const problem = textProblem(text);
  if (problem) throw new ApiError(problem, textProblemMessage(problem, index), { details: { index } });
  if (text.length > limits.maxTextChars) {
    throw new ApiError('text_too_long', `texts[${index}] has ${text.length} characters; the limit is ${limits.maxTextChars}`, {
      details: { index, limit: limits.maxTextChars },
    });
  }
  return toScoredForm(text);
}
