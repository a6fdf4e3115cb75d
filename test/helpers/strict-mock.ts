/** What a strict mock may be given: a `jest.Mock` for each method it stubs, a value for each property. */
export type StrictMockMembers<T> = { [K in keyof T]?: T[K] extends (...args: never[]) => unknown ? jest.Mock : T[K] };

/**
 * A mock that fails the test on any member it was not given, so a unit test states every
 * collaborator call the code under test makes. `name` says which mock in the failure message.
 */
export function strictMock<T extends object>(name: string, members: StrictMockMembers<T> = {}): jest.Mocked<T> {
  return new Proxy(members, {
    get(target, prop) {
      if (prop in target) return (target as Record<string | symbol, unknown>)[prop];
      // `then`: `await` and async returns probe for it, and a mock is not a promise. Symbols:
      // jest and Node probe them when they print or compare a value; no collaborator has one.
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      throw new Error(`unexpected use of ${name}.${String(prop)}`);
    },
  }) as unknown as jest.Mocked<T>;
}
