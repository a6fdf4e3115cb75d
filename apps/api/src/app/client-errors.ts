import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '@coffer/contract';
import type { NextFunction, Request, Response } from 'express';
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
 * Node answers some requests itself, before Express sees them, with an empty body: those it
 * cannot parse (400/408/413/431), HTTP/1.1 without Host (400) and an `Expect` other than
 * 100-continue (417). The first get the `{error, code}` body every other error has, under the
 * condition Node uses (no answer of this connection has started yet); a missing Host is left to
 * `requireHost`; an unknown expectation is ignored and the request served (RFC 9110 allows both).
 */
export function answerClientErrorsAsJson(server: Server): void {
  (server as Server & { requireHostHeader: boolean }).requireHostHeader = false;
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
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

/** RFC 9112: an HTTP/1.1 request without Host is a 400 (answered by Node without a body unless turned off, as above). */
export function requireHost(req: Request, res: Response, next: NextFunction): void {
  if (req.httpVersion !== '1.1' || req.headers.host !== undefined) return next();
  const body: ErrorBody = { error: 'An HTTP/1.1 request needs a Host header', code: 'VALIDATION_FAILED' };
  res.status(ERROR_STATUS[body.code]).set('Connection', 'close').json(body);
}
