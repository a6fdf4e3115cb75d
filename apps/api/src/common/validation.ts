import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
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
 * Unknown top-level fields (`__proto__` and `constructor` included) are refused before
 * class-transformer walks the value; any other failure inside the pipe is a 400, never a 500.
 */
class FieldCheckingValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
