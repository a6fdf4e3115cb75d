import { MultipartUploadError } from '@coffer/storage';
import { planMultipart, partSizeOf } from './multipart-plan';

const FRAME = 65_568;

describe('planMultipart', () => {
  it('cuts parts of whole frames, the last one shorter', () => {
    const size = 3 * 128 * FRAME + 1000;
    expect(planMultipart(size, 128)).toEqual({ partSize: 128 * FRAME, partCount: 4, lastPartSize: 1000 });
  });

  it('gives a file of exactly n parts n full parts', () => {
    expect(planMultipart(2 * 80 * FRAME, 80)).toEqual({ partSize: 80 * FRAME, partCount: 2, lastPartSize: 80 * FRAME });
  });

  it('takes one part for a file smaller than a part', () => {
    expect(planMultipart(100, 128)).toEqual({ partSize: 128 * FRAME, partCount: 1, lastPartSize: 100 });
  });

  it('raises the part size so that no file needs more than 10,000 parts', () => {
    const tib = 1024 ** 4;
    const plan = planMultipart(tib, 128);
    expect(plan.partCount).toBeLessThanOrEqual(10_000);
    expect(plan.partSize % FRAME).toBe(0);
    expect(plan.partSize).toBe(1677 * FRAME);
    expect((plan.partCount - 1) * plan.partSize + plan.lastPartSize).toBe(tib);
    // One frame fewer per part would need more than 10,000 parts.
    expect(Math.ceil(tib / (1676 * FRAME))).toBeGreaterThan(10_000);
  });

  it('refuses an object over 5 TiB as S3 would', () => {
    expect(() => planMultipart(5 * 1024 ** 4 + 1, 128)).toThrow(MultipartUploadError);
  });

  it('answers each part its exact size', () => {
    const plan = { partSize: 10, partCount: 3, declaredSize: 25 };
    expect([1, 2, 3].map((n) => partSizeOf(plan, n))).toEqual([10, 10, 5]);
  });
});
