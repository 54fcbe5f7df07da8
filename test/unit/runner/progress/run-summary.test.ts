// runner/progress/run-summary.ts: the one-line result of a summary.json and its exit code; it reads
// only the fields the job's contract lists as printed (summary.printed).
import { describeSummary, summaryField, summaryStatusExit } from '../../../../runner/progress/run-summary.js';
import { defaultJobContract } from '../../../../config/job-contract.js';

describe('run summary line', () => {
  const base = { status: 'succeeded', run_id: 'r', counts: { total_files: 4, featurized: 4, failed: 0 }, pca: { k: 2, cumulative: [0.5, 0.9] } };

  test('names the classifier accuracy, or why there is none', () => {
    expect(describeSummary({ ...base, classifier: { status: 'trained', evaluated: true, accuracy: 0.875, test: { images: 8 } } })).toBe(
      'run r succeeded: 4/4 images featurized, 0 failed; PCA k=2, explained variance 0.900; classifier accuracy 0.875 on 8 test images',
    );
    expect(describeSummary({ ...base, classifier: { status: 'trained', evaluated: false, accuracy: null } })).toMatch(/classifier trained, not evaluated/);
    expect(describeSummary({ ...base, classifier: { status: 'skipped' } })).toMatch(/; no classifier$/);
  });

  test('counts, PCA and the error; unknown parts as ?', () => {
    expect(describeSummary({ status: 'succeeded', run_id: 'r', counts: { total_files: 4, featurized: 3, failed: 1 }, pca: { k: 2, cumulative: [0.5, 0.9] } })).toBe(
      'run r succeeded: 3/4 images featurized, 1 failed; PCA k=2, explained variance 0.900',
    );
    expect(describeSummary({ status: 'failed', run_id: 'f1', error: 'ValueError: boom' })).toBe('run f1 failed: ?/? images featurized, 0 failed; PCA k=?; error: ValueError: boom');
    expect(describeSummary(undefined)).toBe('run ? unknown: ?/? images featurized, 0 failed; PCA k=?');
  });

  test('status -> exit code', () => {
    expect([{ status: 'succeeded' }, { status: 'interrupted' }, { status: 'failed' }, undefined].map(summaryStatusExit)).toEqual([0, 130, 1, 1]);
  });

  test('only the fields the contract lists as printed can be read (drift between the job and the line)', () => {
    expect(defaultJobContract().summary.printed).toContain('counts.featurized');
    expect(summaryField(base, 'counts.featurized')).toBe(4);
    expect(() => summaryField(base, 'counts.per_label')).toThrow(/not in contract.json summary.printed/);
  });
});
