import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** Request headers must arrive within this (slow-header attacks). */
export const HEADERS_TIMEOUT_MS = 30_000;
/** A whole API request (headers and JSON body) must arrive within this. */
export const API_REQUEST_TIMEOUT_MS = 60_000;
/** A connection with no traffic at all is dropped after this. */
export const IDLE_SOCKET_TIMEOUT_MS = 120_000;

/**
 * Every request has a deadline. Node's `requestTimeout` is one value for the whole server; when
 * this process receives uploads (the fs driver), it is the upload URL's lifetime plus a minute,
 * the blob handler cuts each upload at its own URL's expiry, and `apiBodyDeadline` bounds every
 * other request to API_REQUEST_TIMEOUT_MS.
 */
export function applyServerTimeouts(server: Server, uploadUrlLifetimeMs: number | undefined): void {
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = uploadUrlLifetimeMs === undefined ? API_REQUEST_TIMEOUT_MS : uploadUrlLifetimeMs + 60_000;
  server.keepAliveTimeout = 5_000;
  server.setTimeout(IDLE_SOCKET_TIMEOUT_MS);
}

/** Drops a request (not a blob upload) whose body is still arriving after `timeoutMs`. */
export function apiBodyDeadline(timeoutMs = API_REQUEST_TIMEOUT_MS) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (!req.complete) {
      const timer = setTimeout(() => {
        if (!req.complete) req.socket.destroy();
      }, timeoutMs);
      timer.unref();
      const clear = () => clearTimeout(timer);
      req.once('end', clear);
      req.once('close', clear);
    }
    next();
  };
}
