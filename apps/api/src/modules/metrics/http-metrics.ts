import { FS_STORAGE_PATH } from '@coffer/storage';
import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from './metrics';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Counts and times every answer by its route *pattern* (`/files/download/:userIdHash/:fileId`),
 * never the URL, so file ids and owner hashes never become label values. Mounted first, so it
 * also sees the fs blob URLs (one label for all of them) and requests no route matched.
 */
export function httpMetrics(metrics: Metrics): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // A client that went away before the answer was complete.
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      metrics.httpRequest(METHODS.has(req.method) ? req.method : 'other', routeLabel(req), status, seconds);
    });
    next();
  };
}

export function routeLabel(req: Pick<Request, 'route' | 'baseUrl' | 'originalUrl'>): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  // Nest answers requests no controller takes through a catch-all route (`{/*splat}`).
  if (typeof pattern === 'string' && !pattern.includes('*')) return `${req.baseUrl ?? ''}${pattern}`;
  if (req.originalUrl.startsWith(FS_STORAGE_PATH)) return `${FS_STORAGE_PATH}*`;
  return 'unmatched';
}
