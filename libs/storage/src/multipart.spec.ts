import {
  assertCompletedParts,
  assertPartSizes,
  MAX_MULTIPART_OBJECT_BYTES,
  MAX_PART_BYTES,
  MIN_PART_BYTES,
  MultipartUploadError,
  partCountFor,
} from './multipart';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof MultipartUploadError ? err.code : String(err);
  }
  return undefined;
}

const MiB = 1024 * 1024;

describe('partCountFor', () => {
  it('counts the parts of a layout S3 accepts', () => {
    expect(partCountFor(1, 64 * MiB)).toBe(1);
    expect(partCountFor(64 * MiB, 64 * MiB)).toBe(1);
    expect(partCountFor(64 * MiB + 1, 64 * MiB)).toBe(2);
    expect(partCountFor(MAX_MULTIPART_OBJECT_BYTES, Math.ceil(MAX_MULTIPART_OBJECT_BYTES / 10_000))).toBe(10_000);
  });

  it("refuses a layout S3 would refuse, with S3's limit named", () => {
    expect(code(() => partCountFor(MAX_MULTIPART_OBJECT_BYTES + 1, MAX_PART_BYTES))).toBe('OBJECT_TOO_LARGE');
    expect(code(() => partCountFor(10 * MiB, MIN_PART_BYTES - 1))).toBe('PART_TOO_SMALL');
    expect(code(() => partCountFor(2 * MAX_PART_BYTES, MAX_PART_BYTES + 1))).toBe('PART_TOO_LARGE');
    expect(code(() => partCountFor(10_001 * MIN_PART_BYTES, MIN_PART_BYTES))).toBe('TOO_MANY_PARTS');
    expect(code(() => partCountFor(0, MIN_PART_BYTES))).toContain('RangeError');
  });
});

describe('assertPartSizes', () => {
  it('lets only the last part be under 5 MiB', () => {
    expect(code(() => assertPartSizes([MIN_PART_BYTES, MIN_PART_BYTES, 1]))).toBeUndefined();
    expect(code(() => assertPartSizes([1]))).toBeUndefined();
    expect(code(() => assertPartSizes([MIN_PART_BYTES - 1, 1]))).toBe('PART_TOO_SMALL');
  });

  it('refuses a part over 5 GiB, over 10,000 parts and over 5 TiB in all', () => {
    expect(code(() => assertPartSizes([MAX_PART_BYTES + 1]))).toBe('PART_TOO_LARGE');
    expect(code(() => assertPartSizes(new Array<number>(10_001).fill(MIN_PART_BYTES)))).toBe('TOO_MANY_PARTS');
    expect(code(() => assertPartSizes(new Array<number>(1025).fill(MAX_PART_BYTES)))).toBe('OBJECT_TOO_LARGE');
  });
});

describe('assertCompletedParts', () => {
  it('wants 1..10,000 parts in strictly ascending order, each with an etag', () => {
    expect(code(() => assertCompletedParts([{ partNumber: 1, etag: '"a"' }, { partNumber: 5, etag: '"b"' }]))).toBeUndefined();
    expect(code(() => assertCompletedParts([]))).toBe('INVALID_PART_LIST');
    expect(code(() => assertCompletedParts([{ partNumber: 2, etag: '"a"' }, { partNumber: 1, etag: '"b"' }]))).toBe('INVALID_PART_LIST');
    expect(code(() => assertCompletedParts([{ partNumber: 0, etag: '"a"' }]))).toBe('PART_NUMBER_OUT_OF_RANGE');
    expect(code(() => assertCompletedParts([{ partNumber: 1, etag: '' }]))).toBe('INVALID_PART');
  });
});
