import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '@coffer/contract';
import { ERROR_STATUS } from '../common/error.filter';

/** What Node answers a request it cannot parse (over-long headers, a NUL in a header, not HTTP), as JSON. */
function answerFor(code: string | undefined): { reason: string; body: ErrorBody } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { reason: 'Request Header Fields Too Large', body: { error: 'Request headers are too large', code: 'HEADERS_TOO_LARGE' } };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { reason: 'Payload Too Large', body: { error: 'Request chunk extensions are too large', code: 'PAYLOAD_TOO_LARGE' } };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { reason: 'Request Timeout', body: { error: 'The request did not arrive in time', code: 'REQUEST_TIMEOUT' } };
    default:
      return { reason: 'Bad Request', body: { error: 'The request is not valid HTTP (request line or a header)', code: 'VALIDATION_FAILED' } };
  }
}

/**
 * Node answers such requests with an empty 400/408/413/431 of its own, before Express sees them;
 * this listener replaces that answer with the `{error, code}` body every other error has, under the
 * same condition Node uses (no answer of this connection has started yet).
 */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      const { reason, body } = answerFor(err.code);
      const json = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${ERROR_STATUS[body.code]} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(json)}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${json}`,
      );
    }
    socket.destroy();
  });
}
