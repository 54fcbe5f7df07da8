// A run's summary.json as the runner shows it: the one-line result and the exit code its status
// means. Pure. The fields read here are the ones the job's contract lists as printed
// (contract.json summary.printed); reading any other throws, so the two cannot drift.
import { ExitCode, type ExitCodeValue } from '../../config/errors.js';
import { defaultJobContract } from '../../config/job-contract.js';

const PRINTED = new Set(defaultJobContract().summary.printed);

/** Pure: a printed summary field by its dotted path (undefined when absent). */
export function summaryField(summary: unknown, path: string): unknown {
  if (!PRINTED.has(path)) throw new Error(`summary field ${path} is not in contract.json summary.printed; add it there first`);
  return path.split('.').reduce<unknown>((cur, key) => (cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined), summary);
}

const text = (s: unknown, path: string, fallback: string): string => {
  const v = summaryField(s, path);
  return v === undefined || v === null ? fallback : String(v);
};

/** The classifier's part of the summary line (absent for runs made before the stage existed). */
function describeClassifier(s: unknown): string {
  if (!hasClassifier(s)) return '';
  if (summaryField(s, 'classifier.status') !== 'trained') return '; no classifier';
  const accuracy = summaryField(s, 'classifier.accuracy');
  if (!summaryField(s, 'classifier.evaluated') || typeof accuracy !== 'number') return '; classifier trained, not evaluated (no Training/Test pair)';
  const on = `${accuracy.toFixed(3)} on ${text(s, 'classifier.test.images', '?')} test images`;
  const regression = summaryField(s, 'classifier.regression.accuracy');
  if (summaryField(s, 'classifier.selected') === BASELINE_KEPT && typeof regression === 'number') {
    return `; CLASSIFIER WORSE THAN BASELINE: logistic regression ${regression.toFixed(3)}, kept the nearest-centroid baseline: accuracy ${on}`;
  }
  const baseline = summaryField(s, 'classifier.baseline.accuracy');
  return `; classifier accuracy ${on}${typeof baseline === 'number' ? ` (nearest-centroid baseline ${baseline.toFixed(3)})` : ''}`;
}
/** The job keeps the nearest-centroid baseline when the regression did worse on Test (train.py). */
const BASELINE_KEPT = 'nearest centroid';
/** Runs made before the classifier stage have no classifier section at all. */
const hasClassifier = (s: unknown) => !!s && typeof s === 'object' && !!(s as { classifier?: unknown }).classifier;

/** One human line about a summary.json. */
export function describeSummary(s: unknown): string {
  const cum = summaryField(s, 'pca.cumulative');
  const variance = Array.isArray(cum) && cum.length ? `, explained variance ${Number(cum[cum.length - 1]).toFixed(3)}` : '';
  const base =
    `run ${text(s, 'run_id', '?')} ${text(s, 'status', 'unknown')}: ${text(s, 'counts.featurized', '?')}/${text(s, 'counts.total_files', '?')} images featurized, ` +
    `${text(s, 'counts.failed', '0')} failed; PCA k=${text(s, 'pca.k', '?')}${variance}${describeClassifier(s)}`;
  const error = summaryField(s, 'error');
  return error ? `${base}; error: ${String(error)}` : base;
}

/** The runner's exit code for a summary's status. */
export const summaryStatusExit = (s: unknown): ExitCodeValue => {
  const status = summaryField(s, 'status');
  return status === 'succeeded' ? ExitCode.ok : status === 'interrupted' ? ExitCode.interrupted : ExitCode.jobFailed;
};
