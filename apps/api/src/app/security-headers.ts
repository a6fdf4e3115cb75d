import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

export const API_DOCS_PATH = '/api/docs';

/**
 * helmet's defaults on every answer (API, errors, fs blob URLs). The OpenAPI UI alone runs its
 * own inline script and styles, so only its path gets a CSP that allows them.
 */
export function securityHeaders(): (req: Request, res: Response, next: NextFunction) => void {
  // Download redirects send browsers to blob URLs from other pages; same-origin would block them.
  const common = { crossOriginResourcePolicy: { policy: 'cross-origin' as const } };
  // Everything but the docs is JSON, text or a blob: nothing on those pages may load or run.
  const strict = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"] } },
  });
  const docs = helmet({
    ...common,
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'", "'unsafe-inline'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
      },
    },
  });
  return (req, res, next) => (req.path === API_DOCS_PATH || req.path.startsWith(`${API_DOCS_PATH}/`) ? docs : strict)(req, res, next);
}
