import { ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError } from './domain-error';

/** Strict DTOs: unknown fields are refused, and the first broken rule is named in the error. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
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
