import { useEffect, useState } from 'react';
import type { ApiFailure } from '../api.ts';
import { retryWords } from '../format.ts';

// API messages are lower-case clauses; shown alone they read better as sentences.
const sentence = (m: string) => {
  const s = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
};

/** The API's own message; for rate limits, when to try again, counting down. */
export function ErrorNotice({ error }: { error: ApiFailure }) {
  const [left, setLeft] = useState(error.retryAfter);
  useEffect(() => {
    setLeft(error.retryAfter);
    if (error.retryAfter === undefined) return;
    const started = Date.now();
    const t = setInterval(() => {
      const remaining = error.retryAfter! - (Date.now() - started) / 1000;
      setLeft(Math.max(0, remaining));
      if (remaining <= 0) clearInterval(t);
    }, 1000);
    return () => clearInterval(t);
  }, [error]);

  const limited = error.status === 429;
  return (
    <div className="notice error" role="alert">
      <p className="notice-title">{limited ? 'Too many requests' : error.status === 413 ? 'Too large' : 'Something went wrong'}</p>
      <p>{sentence(error.message)}</p>
      {limited && left !== undefined && <p className="retry">{left > 0 ? `You can try again ${retryWords(left)}.` : 'You can try again now.'}</p>}
      {!limited && error.retryAfter !== undefined && <p className="retry">Try again {retryWords(error.retryAfter)}.</p>}
      <p className="code">
        Error code: <code>{error.code}</code>
      </p>
    </div>
  );
}
