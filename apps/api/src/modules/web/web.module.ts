import { Module } from '@nestjs/common';
import { WebAssets } from './web-assets';
import { WebController } from './web.controller';

/** Serves the built browser pages of apps/web (issue 17); depends on no other module. */
@Module({ controllers: [WebController], providers: [{ provide: WebAssets, useFactory: () => new WebAssets() }] })
export class WebModule {}
