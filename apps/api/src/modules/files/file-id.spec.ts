import { randomUUID } from 'node:crypto';
import { idPrefixRange } from './file-id';

describe('idPrefixRange', () => {
  it('spans every canonical UUID that starts with the prefix', () => {
    expect(idPrefixRange('6c9f')).toEqual({ from: '6c9f0000-0000-0000-0000-000000000000', to: '6c9fffff-ffff-ffff-ffff-ffffffffffff' });
    expect(idPrefixRange('6c9ff065-')).toEqual({ from: '6c9ff065-0000-0000-0000-000000000000', to: '6c9ff065-ffff-ffff-ffff-ffffffffffff' });
    expect(idPrefixRange('6c9ff065-a')).toEqual({ from: '6c9ff065-a000-0000-0000-000000000000', to: '6c9ff065-afff-ffff-ffff-ffffffffffff' });
  });

  it('is a single id for a whole id', () => {
    const id = randomUUID();
    expect(idPrefixRange(id)).toEqual({ from: id, to: id });
  });

  it('contains every id with that prefix, and only those, in text order (which is uuid order)', () => {
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    for (const prefix of ['a', '0', 'f', ids[0].slice(0, 2), ids[1].slice(0, 9), ids[2].slice(0, 14)]) {
      const { from, to } = idPrefixRange(prefix)!;
      for (const id of ids) expect(id >= from && id <= to).toBe(id.startsWith(prefix));
    }
  });

  it('is undefined when a dash or a digit is out of place', () => {
    expect(idPrefixRange('-')).toBeUndefined();
    expect(idPrefixRange('6c9ff0651')).toBeUndefined();
    expect(idPrefixRange('6c9f-')).toBeUndefined();
  });
});
