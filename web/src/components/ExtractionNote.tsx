import type { Extraction } from '../App.tsx';

const METHOD: Record<string, string> = {
  plain: 'plain text',
  markdown: 'Markdown',
  html: 'a web page',
  pdf: 'a PDF',
  docx: 'a Word document',
  ocr: 'an image (text recognition)',
};

/** Says where the text in the box came from, so the user checks it before trusting the score. */
export function ExtractionNote({ extraction, edited }: { extraction: Extraction; edited: boolean }) {
  const { fileName, response } = extraction;
  return (
    <div className="notice info" data-testid="extraction-note">
      <p className="notice-title">
        Text read from <strong>{fileName}</strong> as {METHOD[response.method] ?? response.method}
        {response.pages !== undefined && `, ${response.pages} page${response.pages === 1 ? '' : 's'}`} ({response.chars.toLocaleString()} characters)
      </p>
      <p>
        {edited
          ? 'You have edited the extracted text; press “Check text” to score your version.'
          : 'The extracted text is in the box above. Check it reads right; edit it and check again if not.'}
      </p>
      {response.warnings.length > 0 && (
        <ul className="warnings">
          {response.warnings.map((w) => (
            <li key={w.code + w.message}>{w.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
