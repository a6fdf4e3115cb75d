import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsString, validateSync } from 'class-validator';
import { DomainError } from './domain-error';
import { createValidationPipe, findBadInput, IsDisplaySafeText, isStorableText } from './validation';

class Named {
  @IsString()
  @IsDisplaySafeText('name', 5)
  name!: string;
}

function nameErrors(name: unknown): string[] {
  return validateSync(plainToInstance(Named, { name })).flatMap((e) => Object.values(e.constraints ?? {}));
}

describe('isStorableText', () => {
  it.each(['', 'plain', 'é', '😀', '\ud83d\ude00', '\ufffd', '\uffff', '\u202e'])('takes %j', (text) => expect(isStorableText(text)).toBe(true));
  it.each(['\u0000', 'a\u0000', '\ud800', 'a\ud800b', '\udc00', '\udc00\ud800', '😀'.slice(0, 1)])('refuses %j', (text) => expect(isStorableText(text)).toBe(false));
});

describe('IsDisplaySafeText', () => {
  it.each(['a', 'отчёт', '报告', '👩‍💻', 'a b', 'x\u200dy'])('takes %j', (name) => expect(nameErrors(name)).toEqual([]));
  it.each(['', 'abcdef', '\u0007', 'a\nb', '\u202e', '\u2066', '\u200e', '\u061c', '\u2028', '\u2029', '\u0085'])('refuses %j', (name) =>
    expect(nameErrors(name)).toEqual([expect.stringContaining('name must be 1–5 characters')]),
  );
});

describe('findBadInput', () => {
  it('names the first unstorable string by its path, at any depth', () => {
    expect(findBadInput({ a: { b: ['ok', 'x\u0000'] } }, '')).toBe('a.b.1 contains U+0000 or an unpaired surrogate');
    expect(findBadInput('\ud800', 'fileId')).toBe('fileId contains U+0000 or an unpaired surrogate');
  });

  it('refuses unstorable field names without echoing them', () => {
    expect(findBadInput({ a: { 'k\u0000': 1 } }, '')).toBe('a field name in a contains U+0000 or an unpaired surrogate');
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])('refuses the inherited name %s at any depth', (key) => {
    expect(findBadInput(JSON.parse(`{"a":[{"${key}":1}]}`), '')).toBe(`unknown field "a.0.${key}"`);
  });

  it('passes anything else', () => {
    expect(findBadInput({ a: [1, null, true, 'é', { b: '😀' }] }, '')).toBeUndefined();
  });
});

describe('the validation pipe', () => {
  it('checks path parameters and queries too', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform('a\u0000', { type: 'param', data: 'fileId', metatype: String })).rejects.toEqual(new DomainError('VALIDATION_FAILED', 'fileId contains U+0000 or an unpaired surrogate'));
    await expect(pipe.transform({ id: '\udc00' }, { type: 'query', metatype: Object })).rejects.toBeInstanceOf(DomainError);
  });
});
