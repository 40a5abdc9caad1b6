/**
 * The README is the front door and docs/ holds the rest: the front door stays short, and no
 * relative link in either leads nowhere (a file moved, a heading renamed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support.ts';

const MAX_README_LINES = 250;

const pages = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

// Code is not prose: `[--report <folder>]` or a JSON array followed by a parenthesis is no link.
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

function links(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
}

// GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered.
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const withoutFences = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const m of withoutFences.matchAll(/^#{1,6} (.+)$/gm)) {
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

describe('README and docs/', () => {
  it(`the README is at most ${MAX_README_LINES} lines`, () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    expect(readme.replace(/\n$/, '').split('\n').length).toBeLessThanOrEqual(MAX_README_LINES);
  });

  it('the link checker sees links, and skips code', () => {
    expect(links('see [a](docs/a.md#x) and ![img](roc.svg)')).toEqual(['docs/a.md#x', 'roc.svg']);
    expect(links('`[--out <dir>](x)`\n```\n[a](b)\n```\n')).toEqual([]);
    expect([...anchors("## `/analyze`: the original design's clients\n## Configuration\n## Configuration\n")]).toEqual([
      'analyze-the-original-designs-clients',
      'configuration',
      'configuration-1',
    ]);
  });

  for (const page of pages) {
    it(`every relative link in ${page} points at a file that exists (and a heading that does)`, () => {
      const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
      const broken: string[] = [];
      let checked = 0;
      for (const link of links(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue; // http:, https:, mailto:
        checked++;
        const [file = '', anchor] = link.split('#');
        const target = file === '' ? path.join(ROOT, page) : path.resolve(path.dirname(path.join(ROOT, page)), decodeURIComponent(file));
        if (!fs.existsSync(target)) {
          broken.push(`${link} (no such file)`);
          continue;
        }
        if (anchor && target.endsWith('.md') && !anchors(fs.readFileSync(target, 'utf8')).has(anchor)) {
          broken.push(`${link} (no such heading)`);
        }
      }
      expect(broken, page).toEqual([]);
      if (page === 'README.md') expect(checked).toBeGreaterThan(10);
    });
  }
});
