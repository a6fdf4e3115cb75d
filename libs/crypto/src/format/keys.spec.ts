import { randomDek } from './keys';

describe('randomDek', () => {
  it('is 32 fresh random bytes', () => {
    const [first, second] = [randomDek(), randomDek()];
    expect(first).toHaveLength(32);
    expect(first.equals(second)).toBe(false);
  });
});
