// runner/commands/upload-data.ts: sync planning, object keys, the upload pool (pure parts).
import { planSync, objectKey, runPool, sameContent } from '../../../../runner/commands/upload-data.js';

describe('upload planning', () => {
  const f = (rel: string, size: number) => ({ rel, size, path: `/l/${rel}` });

  test('skips same key + size, uploads new or changed', () => {
    const remote = new Map([
      ['images/Training/apple/1.jpg', { size: 10 }],
      ['images/Training/apple/2.jpg', { size: 99 }],
    ]);
    const { upload, skip } = planSync([f('Training/apple/1.jpg', 10), f('Training/apple/2.jpg', 11), f('Test/lemon/3.jpg', 5)], remote, 'images/');
    expect(skip.map((x) => x.rel)).toEqual(['Training/apple/1.jpg']);
    expect(upload.map((x) => x.rel)).toEqual(['Training/apple/2.jpg', 'Test/lemon/3.jpg']);
  });

  test('with checksums, only a matching sha256 metadata value counts as unchanged', () => {
    const sha = 'ab'.repeat(32);
    expect(sameContent(sha, { sha256: sha })).toBe(true);
    expect(sameContent(sha, { sha256: sha.toUpperCase() })).toBe(true);
    expect(sameContent(sha, { sha256: 'cd'.repeat(32) })).toBe(false);
    expect(sameContent(sha, {})).toBe(false); // uploaded by another tool: treat as changed
    expect(sameContent(sha, undefined)).toBe(false);
    expect(objectKey('', 'x.jpg')).toBe('x.jpg');
  });

  test('pool never exceeds its concurrency', async () => {
    let inFlight = 0, peak = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      done.push(n);
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
