import type { KdfPolicy } from '../src/lib/kdf-policy';

export declare const FAST_KDF: KdfPolicy;
