import { argon2id } from 'hash-wasm';
import type { Bytes } from './bytes';
import { KEY_SIZE } from './blob-format';

export interface KdfParams {
  alg: 'argon2id';
  m: number;
  t: number;
  p: number;
}

interface Bound {
  min: number;
  max: number;
}

/** docs/FORMAT.md, "Key derivation": parameters read from metadata must lie within these. */
export const KDF_BOUNDS: Readonly<Record<'m' | 't' | 'p', Bound>> = Object.freeze({
  m: { min: 19_456, max: 1_048_576 },
  t: { min: 1, max: 10 },
  p: { min: 1, max: 8 },
});

export class KdfParamsError extends Error {
  override readonly name = 'KdfParamsError';
}

/** Validates `kdf_params` before anything is hashed: metadata can neither make the page grind nor cheapen a guess. */
export function parseKdfParams(value: unknown): KdfParams {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new KdfParamsError('KDF parameters must be an object');
  const { alg, m, t, p, ...unknown } = value as Record<string, unknown>;
  if (alg !== 'argon2id') throw new KdfParamsError(`unsupported KDF algorithm ${JSON.stringify(alg)}`);
  if (Object.keys(unknown).length > 0) throw new KdfParamsError(`unknown KDF parameter(s): ${Object.keys(unknown).join(', ')}`);
  const checked = (name: 'm' | 't' | 'p', v: unknown): number => {
    const { min, max } = KDF_BOUNDS[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new KdfParamsError(`KDF parameter ${name} is outside ${min}..${max}`);
    return v;
  };
  return { alg, m: checked('m', m), t: checked('t', t), p: checked('p', p) };
}

/** DEK of passphrase mode: Argon2id(passphrase as UTF-8, salt), 32 raw bytes (hash-wasm's WebAssembly). */
export async function deriveKeyFromPassphrase(passphrase: string, salt: Bytes, params: KdfParams): Promise<Bytes> {
  const key = await argon2id({
    password: new TextEncoder().encode(passphrase),
    salt,
    parallelism: params.p,
    iterations: params.t,
    memorySize: params.m,
    hashLength: KEY_SIZE,
    outputType: 'binary',
  });
  return new Uint8Array(key);
}
