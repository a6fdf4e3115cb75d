import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './api';

/** Why something failed, in words for people; the server's sentence when it sent one. */
export function explain(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'INVALID_CREDENTIALS') return 'Wrong e-mail or password.';
    if (error.code === 'RATE_LIMITED') return 'Too many attempts; wait a minute and try again.';
    return error.message;
  }
  const code = (error as { code?: string }).code;
  if (code === 'WRONG_PASSWORD') return 'Wrong vault password.';
  if (code === 'KDF_OUT_OF_BOUNDS' || code === 'MALFORMED' || code === 'PAIR_MISMATCH') return 'Your account key on the server is unreadable or was tampered with.';
  return (error as Error).message || 'Something went wrong.';
}

/** Moves focus to a screen's heading, so a screen reader announces the new screen. */
export function useHeadingFocus() {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}
