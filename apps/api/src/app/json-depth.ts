import type { IncomingMessage } from 'node:http';

/** Deeper bodies are refused before `JSON.parse`; no request of the API nests more than 2 levels. */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;

/**
 * One linear pass over the text counting `[` and `{` outside strings. Malformed input is left
 * to `JSON.parse`; only the depth matters here.
 */
export function jsonDepthExceeds(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/**
 * body-parser's `verify` hook. Without it, a body of a few hundred thousand nested arrays (well
 * under the size limit) parses fine and then blocks the event loop in every recursive walk that
 * follows (class-transformer, validation) before failing as a 500. The error imitates
 * body-parser's own parse failure, so it is answered like any malformed JSON (400).
 */
export function refuseDeepJson(_req: IncomingMessage, _res: unknown, body: Buffer, encoding: string | null): void {
  if (jsonDepthExceeds(decode(body, encoding ?? 'utf-8'))) {
    throw Object.assign(new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`), { status: 400, type: 'entity.parse.failed' });
  }
}

function decode(body: Buffer, encoding: string): string {
  try {
    return new TextDecoder(encoding).decode(body);
  } catch {
    // A charset body-parser would accept but TextDecoder does not know (e.g. utf-32): refused
    // rather than parsed unchecked.
    throw Object.assign(new Error(`unsupported charset "${encoding}"`), { status: 415, type: 'charset.unsupported' });
  }
}
