import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { webContentSecurityPolicy } from './content-security-policy';
import { WebAsset, WebAssets } from './web-assets';

/** Vite names every asset by its content hash, so a cached copy is never stale. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Pages name the current assets: always revalidated (cheap, by ETag). */
const REVALIDATE = 'no-cache';

/**
 * The browser pages (apps/web): `/` the owners' app, `/s/<owner>/<file>` the recipient page of a
 * share link (the key rides in the URL fragment, which browsers never send), `/assets/*` their
 * scripts and styles, `/download-sw.js` the recipient page's download-stream service worker. Not API routes: not in the OpenAPI document.
 */
@ApiExcludeController()
@Controller()
export class WebController {
  private readonly csp: string;

  constructor(
    private readonly assets: WebAssets,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.csp = webContentSecurityPolicy(config);
  }

  @Get()
  ownerApp(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, this.page('index.html'), REVALIDATE);
  }

  @Get('s/:owner/:file')
  recipient(@Req() req: Request, @Res() res: Response, @Param('owner') _owner: string, @Param('file') _file: string): void {
    this.send(req, res, this.page('s.html'), REVALIDATE);
  }

  /**
   * The recipient page's download-stream service worker (apps/web/src/recipient/download-sw.ts):
   * a fixed URL, since a registration names its script, with the pages' policy (a worker's CSP is
   * its own response's); revalidated, so a new build's worker replaces the old one.
   */
  @Get('download-sw.js')
  downloadWorker(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, this.page('download-sw.js'), REVALIDATE);
  }

  @Get('assets/:name')
  asset(@Req() req: Request, @Res() res: Response, @Param('name') name: string): void {
    const asset = this.assets.get(`assets/${name}`);
    if (!asset) throw new DomainError('NOT_FOUND', 'No such asset.');
    this.send(req, res, asset, IMMUTABLE);
  }

  private page(name: string): WebAsset {
    const page = this.assets.get(name);
    if (!page) throw new DomainError('NOT_FOUND', 'The web pages are not built on this server (npm run build builds apps/web).');
    return page;
  }

  private send(req: Request, res: Response, asset: WebAsset, cacheControl: string): void {
    res.setHeader('Content-Security-Policy', this.csp);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', cacheControl);
    res.setHeader('ETag', asset.etag);
    res.setHeader('Content-Type', asset.contentType);
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Length', String(asset.body.length));
    res.status(200).end(req.method === 'HEAD' ? undefined : asset.body);
  }
}
