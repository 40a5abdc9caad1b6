import { MAX_FPR_RANGE, type Profile } from '@detector/contract';
import { useId, useState, type DragEvent, type FormEvent, type ReactNode } from 'react';
import type { Busy } from '../App.tsx';

const ACCEPT =
  '.txt,.md,.markdown,.html,.htm,.pdf,.docx,.png,.jpg,.jpeg,.webp,text/plain,text/markdown,text/html,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,image/png,image/jpeg,image/webp';

const PROFILES: Array<{ value: Profile; title: string; detail: string }> = [
  // The rate each setting keeps is stated once, with the result, from the detector that answered.
  { value: 'strict', title: 'Strict', detail: 'Fewest false accusations; answers "uncertain" near the line and misses more AI text.' },
  { value: 'balanced', title: 'Balanced', detail: 'Catches more AI text, at the cost of more false alarms.' },
];

const DEFAULT_CUSTOM_FPR = 0.02;

interface Props {
  text: string;
  onText(text: string): void;
  profile: Profile;
  onProfile(p: Profile): void;
  /** The caller's own false-positive rate (0.001 to 0.2), or null for the profile's. */
  maxFpr: number | null;
  onMaxFpr(v: number | null): void;
  apiKey: string;
  onApiKey(key: string): void;
  busy: Busy;
  onSubmit(): void;
  onFile(file: File): void;
  /** Shown under the text box: where an extracted text came from. */
  note?: ReactNode;
}

export function InputForm(props: Props) {
  const { text, onText, profile, onProfile, maxFpr, onMaxFpr, apiKey, onApiKey, busy, onSubmit, onFile, note } = props;
  const ids = { text: useId(), textHelp: useId(), file: useId(), fileHelp: useId(), key: useId(), keyHelp: useId(), rate: useId() };
  const [dragging, setDragging] = useState(false);
  const working = busy !== 'idle';

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!working && text.trim()) onSubmit();
  };
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files[0];
    if (file && !working) onFile(file);
  };

  return (
    <form onSubmit={submit} className="input-form" noValidate>
      <div className="field">
        <label htmlFor={ids.text}>Paste the text</label>
        <textarea
          id={ids.text}
          aria-describedby={ids.textHelp}
          value={text}
          onChange={(e) => onText(e.target.value)}
          rows={12}
          spellCheck={false}
          placeholder="Paste at least a paragraph: very short texts cannot be judged."
        />
        <p id={ids.textHelp} className="help">
          {text.length.toLocaleString()} characters. English text of 50 words or more gives the most reliable result.
        </p>
        {note}
      </div>

      <div
        className={`field dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={drop}
      >
        <label htmlFor={ids.file}>Or upload a file or image</label>
        <input
          id={ids.file}
          type="file"
          accept={ACCEPT}
          aria-describedby={ids.fileHelp}
          disabled={working}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) onFile(file);
            // Choosing the same file again should read it again.
            e.target.value = '';
          }}
        />
        <p id={ids.fileHelp} className="help">
          .txt, .md, .html, .pdf, .docx, or a screenshot (.png, .jpg, .webp). Up to 10 MB with an API key; the demo takes smaller files. You can also drop a
          file here.
        </p>
      </div>

      <fieldset className="field profiles">
        <legend>How sure before calling a text AI-written?</legend>
        {PROFILES.map((p) => (
          <label key={p.value} className={`choice${maxFpr === null && profile === p.value ? ' chosen' : ''}`}>
            <input
              type="radio"
              name="profile"
              value={p.value}
              checked={maxFpr === null && profile === p.value}
              onChange={() => {
                onMaxFpr(null);
                onProfile(p.value);
              }}
            />
            <span>
              <strong>{p.title}</strong>
              <span className="choice-detail">{p.detail}</span>
            </span>
          </label>
        ))}
        <label className={`choice${maxFpr !== null ? ' chosen' : ''}`}>
          <input type="radio" name="profile" value="custom" checked={maxFpr !== null} onChange={() => onMaxFpr(maxFpr ?? DEFAULT_CUSTOM_FPR)} />
          <span>
            <strong>My own rate</strong>
            <span className="choice-detail">
              Flag at most{' '}
              <input
                id={ids.rate}
                className="rate"
                type="number"
                min={MAX_FPR_RANGE.min * 100}
                max={MAX_FPR_RANGE.max * 100}
                step={0.1}
                aria-label="Largest share of human texts flagged, in percent"
                value={((maxFpr ?? DEFAULT_CUSTOM_FPR) * 100).toString()}
                onChange={(e) => {
                  const v = Number(e.target.value) / 100;
                  if (Number.isFinite(v)) onMaxFpr(Math.min(MAX_FPR_RANGE.max, Math.max(MAX_FPR_RANGE.min, v)));
                }}
              />
              % of human texts, as measured on writing the detector never saw.
            </span>
          </span>
        </label>
      </fieldset>

      <div className="field">
        <label htmlFor={ids.key}>API key (optional)</label>
        <input
          id={ids.key}
          type="password"
          autoComplete="off"
          value={apiKey}
          onChange={(e) => onApiKey(e.target.value.trim())}
          aria-describedby={ids.keyHelp}
          placeholder="dk_live_…"
        />
        <p id={ids.keyHelp} className="help">
          {apiKey
            ? 'Using your key: your own limits apply and your recent checks come from your account.'
            : 'Without a key you use the demo, limited to a few checks a minute. Recent checks are kept in this browser only.'}
        </p>
      </div>

      <div className="actions">
        <button type="submit" className="primary" disabled={working || !text.trim()}>
          {busy === 'detecting' ? 'Checking…' : 'Check text'}
        </button>
        {text && (
          <button type="button" className="secondary" disabled={working} onClick={() => onText('')}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}
