import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage, Matches } from 'class-validator';
import { DomainError } from './domain-error';

/** Strict DTOs: unknown fields are refused, and the first broken rule is named in the error. */
export function createValidationPipe(): ValidationPipe {
  return new FieldCheckingValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => new DomainError('VALIDATION_FAILED', describe(errors)),
  });
}

/**
 * U+0000 (PostgreSQL text cannot hold it: the query fails) and unpaired UTF-16 surrogates (not
 * text: they would be stored silently as U+FFFD). No string of any request may contain them.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}

/**
 * Characters that make a name display as something it is not: control characters, the bidi
 * controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the line and paragraph
 * separators (U+2028, U+2029). Joiners and other format characters stay allowed (emoji, scripts).
 */
const DISPLAY_UNSAFE = '\\p{Cc}\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029';

/** Display-safe text of 1 to `max` code points (file names). */
export function IsDisplaySafeText(field: string, max: number): PropertyDecorator {
  return Matches(new RegExp(`^[^${DISPLAY_UNSAFE}]{1,${max}}$`, 'u'), {
    message: `${field} must be 1–${max} characters without control characters, bidi controls or line separators`,
  });
}

/**
 * Names every object inherits (`__proto__`, `constructor`, `toString`, …) and `prototype`: no
 * request has such a field, and class-transformer and the whitelist let them through unnoticed
 * (a prototype change, an "own" method) instead of refusing them like any other unknown field.
 */
const PROTOTYPE_KEYS = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

function describe(errors: ValidationError[], parent = ''): string {
  for (const error of errors) {
    const property = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.values(error.constraints ?? {});
    if (messages.length > 0) {
      return messages[0].includes('should not exist') ? `unknown field "${property}"` : messages[0];
    }
    if (error.children?.length) return describe(error.children, property);
  }
  return 'invalid request';
}

/**
 * Before class-transformer walks the value: every string and key of a body, query or path
 * parameter is storable text, prototype keys at any depth and unknown top-level fields are
 * refused; any other failure inside the pipe is a 400, never a 500.
 */
class FieldCheckingValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom') {
      const problem = findBadInput(value, metadata.type === 'param' ? (metadata.data ?? 'path') : '');
      if (problem !== undefined) throw new DomainError('VALIDATION_FAILED', problem);
    }
    if (metadata.metatype && this.toValidate(metadata) && isPlainObject(value)) {
      const known = new Set(getMetadataStorage().getTargetValidationMetadatas(metadata.metatype, '', false, false).map((m) => m.propertyName));
      const unknown = Object.keys(value).find((key) => !known.has(key));
      if (unknown !== undefined) throw new DomainError('VALIDATION_FAILED', `unknown field "${unknown}"`);
    }
    try {
      return await super.transform(value, metadata);
    } catch (err) {
      throw err instanceof DomainError ? err : new DomainError('VALIDATION_FAILED', 'invalid request');
    }
  }
}

/** The first unstorable string or prototype key in a parsed value (JSON depth is bounded at parse time). */
export function findBadInput(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : `${path || 'a value'} contains U+0000 or an unpaired surrogate`;
  if (typeof value !== 'object' || value === null) return undefined;
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((item, i) => [String(i), item]) : Object.entries(value);
  for (const [key, item] of entries) {
    if (!isStorableText(key)) return `a field name${path ? ` in ${path}` : ''} contains U+0000 or an unpaired surrogate`;
    const at = path ? `${path}.${key}` : key;
    if (!Array.isArray(value) && PROTOTYPE_KEYS.has(key)) return `unknown field "${at}"`;
    const problem = findBadInput(item, at);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
