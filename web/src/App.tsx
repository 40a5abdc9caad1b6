import type { DetectResult, ExtractResponse, Profile } from '@detector/contract';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiFailure, detect, extract, recentPredictions, type PredictionRow } from './api.ts';
import { ErrorNotice } from './components/ErrorNotice.tsx';
import { ExtractionNote } from './components/ExtractionNote.tsx';
import { InputForm } from './components/InputForm.tsx';
import { RecentChecks } from './components/RecentChecks.tsx';
import { ResultPanel } from './components/ResultPanel.tsx';
import { formatBytes, percent, VERDICT } from './format.ts';
import { addCheck, loadChecks, snippetOf, type LocalCheck } from './history.ts';

export type Busy = 'idle' | 'extracting' | 'detecting';
export interface Extraction {
  fileName: string;
  response: ExtractResponse;
}

// The key lives for this tab only: it is a secret and this may be a shared computer.
const KEY_STORE = 'detector.api-key';

export function App() {
  const [text, setText] = useState('');
  const [profile, setProfile] = useState<Profile>('strict');
  const [maxFpr, setMaxFpr] = useState<number | null>(null);
  const [apiKey, setApiKey] = useState(() => sessionStorage.getItem(KEY_STORE) ?? '');
  const [busy, setBusy] = useState<Busy>('idle');
  const [error, setError] = useState<ApiFailure | null>(null);
  const [result, setResult] = useState<{ detection: DetectResult; text: string } | null>(null);
  const [extraction, setExtraction] = useState<Extraction | null>(null);
  const [localChecks, setLocalChecks] = useState<LocalCheck[]>(() => loadChecks());
  const [remoteChecks, setRemoteChecks] = useState<PredictionRow[] | null>(null);
  const resultRef = useRef<HTMLElement>(null);

  useEffect(() => {
    if (apiKey) sessionStorage.setItem(KEY_STORE, apiKey);
    else sessionStorage.removeItem(KEY_STORE);
  }, [apiKey]);

  const refreshRemote = useCallback(async (key: string) => {
    if (!key) {
      setRemoteChecks(null);
      return;
    }
    try {
      setRemoteChecks(await recentPredictions(key));
    } catch {
      setRemoteChecks(null);
    }
  }, []);

  useEffect(() => {
    // Wait until typing stops before asking the gateway about a half-entered key.
    const t = setTimeout(() => void refreshRemote(apiKey), 600);
    return () => clearTimeout(t);
  }, [apiKey, refreshRemote]);

  const fail = (err: unknown) => {
    setError(err instanceof ApiFailure ? err : new ApiFailure(0, 'client', String(err)));
  };

  async function runDetect(toCheck: string, source?: string) {
    setBusy('detecting');
    setError(null);
    try {
      const detection = await detect(toCheck, profile, apiKey, maxFpr ?? undefined);
      setResult({ detection, text: toCheck });
      if (apiKey) void refreshRemote(apiKey);
      else {
        setLocalChecks(
          addCheck({
            at: new Date().toISOString(),
            label: detection.label,
            probability: detection.probability,
            profile,
            ...(detection.max_fpr !== undefined ? { maxFpr: detection.max_fpr } : {}),
            chars: toCheck.length,
            snippet: snippetOf(toCheck),
            ...(source ? { source } : {}),
          }),
        );
      }
      requestAnimationFrame(() => resultRef.current?.focus());
    } catch (err) {
      fail(err);
    } finally {
      setBusy('idle');
    }
  }

  async function onFile(file: File) {
    setBusy('extracting');
    setError(null);
    setExtraction(null);
    setResult(null);
    let response: ExtractResponse;
    try {
      response = await extract(file, apiKey);
    } catch (err) {
      // The limit is the gateway's to state; the file's own size makes the message concrete.
      fail(
        err instanceof ApiFailure && err.status === 413
          ? new ApiFailure(err.status, err.code, `${err.message.replace(/\.$/, '')} (this file is ${formatBytes(file.size)})`, err.retryAfter)
          : err,
      );
      setBusy('idle');
      return;
    }
    setExtraction({ fileName: file.name, response });
    setText(response.text);
    await runDetect(response.text, file.name);
  }

  return (
    <div className="page">
      <header className="masthead">
        <h1>Was this written by a language model?</h1>
        <p>
          Paste a text or upload a document or screenshot. The detector estimates how likely it is that a model wrote it, and shows which sentences drove the
          score.
        </p>
      </header>
      <main className="layout">
        <section className="panel" aria-labelledby="input-heading">
          <h2 id="input-heading">Text to check</h2>
          <InputForm
            text={text}
            onText={setText}
            profile={profile}
            maxFpr={maxFpr}
            onMaxFpr={setMaxFpr}
            onProfile={setProfile}
            apiKey={apiKey}
            onApiKey={setApiKey}
            busy={busy}
            onSubmit={() => void runDetect(text, extraction && text === extraction.response.text ? extraction.fileName : undefined)}
            onFile={(f) => void onFile(f)}
            note={extraction && <ExtractionNote extraction={extraction} edited={text !== extraction.response.text} />}
          />
        </section>
        <section className="panel result-panel" aria-labelledby="result-heading" aria-busy={busy !== 'idle'} ref={resultRef} tabIndex={-1}>
          <h2 id="result-heading">Result</h2>
          {/* A short summary for screen readers; the full result is reached by the focus move. */}
          <p className="visually-hidden" aria-live="polite">
            {result && busy === 'idle' ? `${VERDICT[result.detection.label].title}, ${percent(result.detection.probability)} AI probability.` : ''}
          </p>
          {busy !== 'idle' && (
            <p className="status" role="status">
              <span className="spinner" aria-hidden="true" />
              {busy === 'extracting' ? 'Reading the file…' : 'Checking the text…'}
            </p>
          )}
          {error && <ErrorNotice error={error} />}
          {result && busy === 'idle' && <ResultPanel detection={result.detection} text={result.text} />}
          {!result && !error && busy === 'idle' && <p className="placeholder">The verdict, the score and the highlighted sentences appear here.</p>}
        </section>
      </main>
      <RecentChecks usingKey={Boolean(apiKey)} local={localChecks} remote={remoteChecks} />
      <footer className="footer">
        <p>Scores are statistical estimates, not proof. A human text can be flagged; a model's text can pass. Do not use a score alone to accuse anyone.</p>
      </footer>
    </div>
  );
}
