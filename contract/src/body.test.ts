import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { isJsonContentType, readJsonBody } from './body.ts';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err instanceof ApiError ? err.code : String(err);
  }
  return 'ok';
};

describe('JSON request bodies', () => {
  it('accepts application/json with at most a UTF-8 charset', () => {
    for (const t of ['application/json', 'Application/JSON', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"']) {
      expect(isJsonContentType(t), t).toBe(true);
    }
    for (const t of [
      'application/evil+json',
      'application/json-seq',
      'application/jsonx',
      'text/json',
      'application/json; charset=latin1',
      'application/json; foo=bar',
      '',
      undefined,
    ]) {
      expect(isJsonContentType(t), String(t)).toBe(false);
    }
  });

  it('refuses invalid UTF-8 instead of replacing it with U+FFFD', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"text":"bad '), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    expect(codeOf(() => readJsonBody(bytes, 'application/json'))).toBe('invalid_unicode');
    // Overlong encoding of "/" and an encoded surrogate half are not UTF-8 either.
    expect(codeOf(() => readJsonBody(new Uint8Array([0x22, 0xc0, 0xaf, 0x22]), 'application/json'))).toBe('invalid_unicode');
    expect(codeOf(() => readJsonBody(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]), 'application/json'))).toBe('invalid_unicode');
    expect(readJsonBody(new TextEncoder().encode('{"text":"héllo ✓"}'), 'application/json')).toEqual({ text: 'héllo ✓' });
  });

  it('names each failure with its own code', () => {
    expect(codeOf(() => readJsonBody(new TextEncoder().encode('{}'), 'application/evil+json'))).toBe('unsupported_media_type');
    expect(codeOf(() => readJsonBody(new TextEncoder().encode('{'), 'application/json'))).toBe('invalid_json');
  });
});
