import { htmlToText, tidy } from './html-to-text.ts';

export interface MarkdownText {
  text: string;
  /** Fenced or indented code blocks were left out: code is not prose and skews the detector. */
  codeRemoved: boolean;
}

/** The prose of a Markdown document with its markup removed, line by line (no backtracking patterns). */
export function markdownToText(md: string): MarkdownText {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  let codeRemoved = false;
  let frontMatter = lines[0]?.trim() === '---';
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (frontMatter) {
      if (n > 0 && line.trim() === '---') frontMatter = false;
      continue;
    }
    const fenceMark = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (fenceMark && fenceMark[1]![0] === fence[0] && fenceMark[1]!.length >= fence.length) fence = null;
      continue;
    }
    if (fenceMark) {
      fence = fenceMark[1]!;
      codeRemoved = true;
      continue;
    }
    // Reference-style link definitions ([id]: https://...) are addresses, not text.
    if (/^\s{0,3}\[[^\]]+\]:\s/.test(line)) continue;
    // Table separator rows (| --- | :---: |) carry no text. Tested on the trimmed line: two runs of
    // optional spaces side by side at the start made a long line of spaces cost quadratic time.
    if (/^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$/.test(line.trim())) continue;
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push('');
      continue;
    }
    const heading = /^\s{0,3}#{1,6}\s+/.exec(line);
    out.push(
      inline(
        (heading ? withoutClosingHashes(line.slice(heading[0].length)) : line)
          .replace(/^\s{0,3}(>\s?)+/, '')
          .replace(/^\s*([-*+]|\d{1,9}[.)])\s+(\[[ xX]\]\s+)?/, '')
          .replace(/^\s*\|/, '')
          .replace(/\|\s*$/, '')
          .replace(/\s\|\s/g, ' '),
      ),
    );
  }
  return { text: tidy(htmlToTextKeepingLines(out.join('\n'))), codeRemoved };
}

/** A heading's optional closing hashes ("## Title ##"), removed without a backtracking pattern. */
function withoutClosingHashes(line: string): string {
  let end = line.trimEnd().length;
  let hashes = end;
  while (hashes > 0 && line[hashes - 1] === '#') hashes--;
  if (hashes < end && hashes > 0 && /\s/.test(line[hashes - 1]!)) end = hashes;
  return line.slice(0, end);
}

// Bracket and parenthesis contents exclude their own opening character, so a line of thousands of
// unclosed "[" or "(" is scanned once rather than once per opening.
function inline(s: string): string {
  return s
    .replace(/!\[([^[\]]*)\]\([^()]*\)/g, '$1')
    .replace(/\[([^[\]]*)\]\([^()]*\)/g, '$1')
    .replace(/\[([^[\]]*)\]\[[^[\]]*\]/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__)(?=\S)([^*_]*?\S)\1/g, '$2')
    .replace(/(\*|_)(?=\S)([^*_]*?\S)\1/g, '$2')
    .replace(/~~(?=\S)([^~]*?\S)~~/g, '$1');
}

// Markdown may hold inline HTML; strip its tags but keep Markdown's own line structure.
function htmlToTextKeepingLines(s: string): string {
  return s.includes('<') ? htmlToText(s.replace(/\n/g, '<br>')) : s;
}
