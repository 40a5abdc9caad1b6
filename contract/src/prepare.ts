import { ApiError } from './api-error.ts';
import { textProblem } from './text.ts';

export interface TextLimits {
  maxTextChars: number;
  maxBatchTexts: number;
}

/**
 * Checks a batch of texts and returns them as the model will see them (NFC, so that character
 * offsets in answers refer to exactly this string).
 */
export function prepareTexts(texts: string[], limits: TextLimits): string[] {
  if (texts.length > limits.maxBatchTexts) {
    throw new ApiError('batch_too_large', `at most ${limits.maxBatchTexts} texts per request, got ${texts.length}`);
  }
  return texts.map((text, index) => prepareText(text, limits, index));
}

export function prepareText(text: string, limits: TextLimits, index = 0): string {
  const problem = textProblem(text);
  if (problem === 'empty_text') throw new ApiError(problem, `texts[${index}] is empty or whitespace`, { details: { index } });
  if (problem === 'invalid_unicode') throw new ApiError(problem, `texts[${index}] contains an unpaired UTF-16 surrogate`, { details: { index } });
  if (problem === 'control_characters') throw new ApiError(problem, `texts[${index}] contains control characters`, { details: { index } });
  if (text.length > limits.maxTextChars) {
    throw new ApiError('text_too_long', `texts[${index}] has ${text.length} characters; the limit is ${limits.maxTextChars}`, {
      details: { index, limit: limits.maxTextChars },
    });
  }
  return text.normalize('NFC');
}
