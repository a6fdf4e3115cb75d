import { ERROR_MEANINGS, ROUTES, type ErrorCode, type RouteName } from '@coffer/contract';
import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_STATUS } from './error.filter';

/** Codes whose answers carry `Retry-After`. */
const RETRY_AFTER_CODES: readonly ErrorCode[] = ['RATE_LIMITED', 'TOO_MANY_ATTEMPTS', 'DOWNLOAD_LIMIT', 'SERVICE_UNAVAILABLE', 'MAIL_UNAVAILABLE'];

/**
 * Documents every error answer of `route` in the OpenAPI document, from the route's code list in
 * `@coffer/contract`: one response per status, with the `{error, code}` body whose `code` is
 * limited to the codes of that status on that route.
 */
export function ApiErrors(route: RouteName): MethodDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ROUTES[route].errors) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, codes]) =>
      ApiResponse({
        status,
        description: codes.map((code) => `${code}: ${ERROR_MEANINGS[code]}`).join('. '),
        schema: errorBodySchema(codes),
        ...(codes.some((code) => RETRY_AFTER_CODES.includes(code))
          ? { headers: { 'Retry-After': { description: 'Seconds until a retry can succeed', schema: { type: 'integer' } } } }
          : {}),
      }),
    ),
  );
}

function errorBodySchema(codes: readonly ErrorCode[]) {
  return {
    type: 'object' as const,
    required: ['error', 'code'],
    properties: {
      error: { type: 'string' as const, description: 'A sentence for people' },
      code: { type: 'string' as const, enum: [...codes], description: 'What happened, for programs' },
    },
  };
}
