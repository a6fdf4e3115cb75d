import { Inject, Injectable } from '@nestjs/common';
import { formatExactBytes } from '@coffer/contract';
import { MAX_MULTIPART_OBJECT_BYTES, MAX_SINGLE_PUT_BYTES } from '@coffer/storage';
import { DomainError } from '../../common/domain-error';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { LedgerRepository, Limits, UserLimits } from './ledger.repository';

export interface Usage {
  usedBytes: number;
  reservedBytes: number;
  quotaBytes: number;
  fileCount: number;
  maxFiles: number;
  maxFileSizeBytes: number;
}

/** The configured limits and the rules that only need them (no counters). */
@Injectable()
export class QuotaService {
  constructor(
    private readonly ledger: LedgerRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get userLimits(): UserLimits {
    return { quotaBytes: this.config.limits.userQuotaBytes, maxFiles: this.config.limits.maxFilesPerUser };
  }

  get globalQuotaBytes(): number {
    return this.config.limits.globalQuotaBytes;
  }

  /** What the ledger checks a reservation or a completion against. */
  get limits(): Limits {
    return { user: this.userLimits, globalQuotaBytes: this.globalQuotaBytes };
  }

  get maxFileSizeBytes(): number {
    return this.config.limits.maxFileSizeBytes;
  }

  /** Refuses a size declared at presign that no upload could ever store (413). */
  assertDeclaredSizeAllowed(size: number): void {
    const perFile = this.config.limits.maxFileSizeBytes;
    if (size > perFile && perFile <= MAX_SINGLE_PUT_BYTES) {
      throw new DomainError('FILE_TOO_LARGE', `The file is larger than the per-file limit of ${formatExactBytes(perFile)}`);
    }
    if (size > MAX_SINGLE_PUT_BYTES) {
      throw new DomainError(
        'FILE_TOO_LARGE',
        `The file is larger than ${formatExactBytes(MAX_SINGLE_PUT_BYTES)}, the most a single PUT upload can carry (S3's limit); ask for a multipart upload (multipart: true)`,
      );
    }
  }

  /** Refuses a multipart upload's declared size over the per-file limit or S3's 5 TiB (413). */
  assertMultipartSizeAllowed(size: number): void {
    const perFile = this.config.limits.maxFileSizeBytes;
    if (size > perFile) {
      throw new DomainError('FILE_TOO_LARGE', `The file is larger than the per-file limit of ${formatExactBytes(perFile)}`);
    }
    if (size > MAX_MULTIPART_OBJECT_BYTES) {
      throw new DomainError('FILE_TOO_LARGE', `The file is larger than ${formatExactBytes(MAX_MULTIPART_OBJECT_BYTES)}, the most one object can hold`);
    }
  }

  /** Why a stored object of `size` bytes cannot be kept, or undefined when its size is acceptable. */
  storedSizeViolation(size: number, declaredSize: number | null, multipart = false): string | undefined {
    if (declaredSize !== null && size > declaredSize) {
      return `The stored object (${formatExactBytes(size)}) is larger than the declared size (${formatExactBytes(declaredSize)})`;
    }
    const perFile = Math.min(this.config.limits.maxFileSizeBytes, multipart ? MAX_MULTIPART_OBJECT_BYTES : MAX_SINGLE_PUT_BYTES);
    if (size > perFile) {
      return `The stored object (${formatExactBytes(size)}) is larger than the per-file limit of ${formatExactBytes(perFile)}`;
    }
    return undefined;
  }

  async usage(userId: string): Promise<Usage> {
    const counters = await this.ledger.usage(userId);
    // The guard has just seen this user; a concurrent account deletion is the only way here.
    if (!counters) throw new DomainError('NOT_FOUND', 'No such user');
    return {
      ...counters,
      quotaBytes: this.config.limits.userQuotaBytes,
      maxFiles: this.config.limits.maxFilesPerUser,
      // What a multipart upload can store; a single PUT (the Hashdrop client's) stops at 5 GB.
      maxFileSizeBytes: Math.min(this.config.limits.maxFileSizeBytes, MAX_MULTIPART_OBJECT_BYTES),
    };
  }
}
