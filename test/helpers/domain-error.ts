import { DomainError } from '../../apps/api/src/common/domain-error';

/** The DomainError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError, but the promise resolved');
}
