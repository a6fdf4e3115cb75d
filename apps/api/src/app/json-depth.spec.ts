import { jsonDepthExceeds, refuseDeepJson } from './json-depth';

describe('jsonDepthExceeds', () => {
  it.each([
    ['flat values', '{"a":1,"b":"x"}', false],
    ['exactly 32 levels', '['.repeat(32) + ']'.repeat(32), false],
    ['33 levels', '['.repeat(33) + ']'.repeat(33), true],
    ['33 levels left unclosed', '{"a":'.repeat(33), true],
    ['siblings that never nest', '[[]]'.repeat(1000), false],
    ['brackets inside strings', `{"a":"${'[{'.repeat(100)}"}`, false],
    ['an escaped quote does not end the string', `{"a":"\\"${'['.repeat(100)}"}`, false],
    ['an escaped backslash before the closing quote', `["\\\\",${'['.repeat(33)}`, true],
  ])('%s', (_what, text, exceeds) => {
    expect(jsonDepthExceeds(text)).toBe(exceeds);
  });
});

describe('refuseDeepJson', () => {
  const verify = (text: string, encoding: string) => () => refuseDeepJson({} as never, {}, Buffer.from(text, encoding === 'utf-16le' ? 'utf16le' : 'utf8'), encoding);

  it('throws what body-parser reports as malformed JSON (400)', () => {
    expect(verify('['.repeat(40), 'utf-8')).toThrow(expect.objectContaining({ status: 400, type: 'entity.parse.failed' }));
  });

  it('reads the body in its declared charset', () => {
    expect(verify('['.repeat(40), 'utf-16le')).toThrow(expect.objectContaining({ status: 400 }));
    expect(verify('{"a":1}', 'utf-16le')).not.toThrow();
  });

  it('refuses a charset it cannot read instead of letting it through unchecked', () => {
    expect(verify('{}', 'utf-32')).toThrow(expect.objectContaining({ status: 415, type: 'charset.unsupported' }));
  });
});
