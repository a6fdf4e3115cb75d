import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

/**
 * One line per request (JSON, or pino-pretty at a development terminal). Bodies are never
 * logged, headers only by allow-list, and query strings are dropped because signed storage URLs
 * carry their signature there.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req) => safeRequestId(req) ?? randomUUID(),
            serializers: {
              req: (req: { id: string; method: string; url: string; headers: Record<string, string>; remoteAddress?: string }) => ({
                id: req.id,
                method: req.method,
                path: req.url.split('?')[0],
                userAgent: req.headers['user-agent'],
                remoteAddress: req.remoteAddress,
              }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
            },
            customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
            transport: prettyTransport(config.env, Boolean(process.stdout.isTTY)),
          },
        }),
      ],
    };
  }
}

/** Readable lines for a person at a development terminal; JSON for everything else (files, pipes, log collectors). */
export function prettyTransport(env: AppConfig['env'], stdoutIsTerminal: boolean): { target: string; options: Record<string, unknown> } | undefined {
  if (env !== 'development' || !stdoutIsTerminal) return undefined;
  return { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } };
}

function safeRequestId(req: IncomingMessage): string | undefined {
  const id = req.headers['x-request-id'];
  return typeof id === 'string' && /^[\w-]{1,64}$/.test(id) ? id : undefined;
}
