import { describe, expect, it } from 'vitest';
import { fileSlug } from '../../client/src/components/export/download.ts';

describe('export file names', () => {
  it('are lower-case words joined by hyphens, safe on every file system', () => {
    expect(fileSlug('Compare – pain NRS, 3 months')).toBe('compare-pain-nrs-3-months');
    expect(fileSlug('../../etc/passwd')).toBe('etc-passwd');
    expect(fileSlug('Épidurale')).toBe('epidurale');
    expect(fileSlug('***')).toBe('export');
    expect(fileSlug('x'.repeat(200))).toHaveLength(80);
  });
});
