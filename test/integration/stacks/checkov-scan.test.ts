// The checkov gate itself: the reviewed skip list is honoured, and anything not on it
// (or a stale entry) fails. Needs .venv-tools (scripts/setup.sh); no network.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../../helpers/stacks.js';

const PYTHON = join(REPO_ROOT, '.venv-tools/bin/python');
const FILTER = join(REPO_ROOT, 'test/checkov/filter_findings.py');
const SKIPS = join(REPO_ROOT, 'test/checkov/skip.yaml');

function report(failed: { check_id: string; resource: string }[], passed = 10, parsingErrors = 0): string {
  const path = join(tempDir(), 'report.json');
  writeFileSync(
    path,
    JSON.stringify({
      check_type: 'terraform_json',
      results: { failed_checks: failed.map((f) => ({ ...f, file_path: '/fruits-emr/cdk.tf.json' })) },
      summary: { passed, failed: failed.length, parsing_errors: parsingErrors },
    }),
  );
  return path;
}

function skipFile(entries: object[]): string {
  const path = join(tempDir(), 'skip.yaml');
  writeFileSync(path, JSON.stringify({ skips: entries })); // JSON is valid YAML
  return path;
}

function filter(reportPath: string, skipsPath: string) {
  const r = spawnSync(PYTHON, [FILTER, reportPath, skipsPath, '--json'], { encoding: 'utf8' });
  return { status: r.status, verdict: r.stdout ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

const entry = { check: 'CKV_AWS_144', resources: ['aws_s3_bucket.storage_*'], reason: 'single region' };

describe('filter_findings.py', () => {
  test('justified findings pass', () => {
    const r = filter(report([{ check_id: 'CKV_AWS_144', resource: 'aws_s3_bucket.storage_data_bucket_1' }]), skipFile([entry]));
    expect(r.status).toBe(0);
    expect(r.verdict).toMatchObject({ ok: true, failed: 1, justified: 1 });
  });

  test('a new finding fails the scan and is named', () => {
    const r = filter(
      report([
        { check_id: 'CKV_AWS_144', resource: 'aws_s3_bucket.storage_data_bucket_1' },
        { check_id: 'CKV_AWS_20', resource: 'aws_s3_bucket.storage_data_bucket_1' },
      ]),
      skipFile([entry]),
    );
    expect(r.status).toBe(1);
    expect(r.verdict.unjustified).toEqual([
      { check: 'CKV_AWS_20', resource: 'aws_s3_bucket.storage_data_bucket_1', file: '/fruits-emr/cdk.tf.json' },
    ]);
  });

  test('a skip only covers its resources', () => {
    const r = filter(report([{ check_id: 'CKV_AWS_144', resource: 'aws_s3_bucket.other_1' }]), skipFile([entry]));
    expect(r.status).toBe(1);
  });

  test('stale entries, entries without a reason, parse errors and empty scans fail', () => {
    expect(filter(report([]), skipFile([entry])).verdict.stale_skips).toHaveLength(1);
    expect(filter(report([]), skipFile([entry])).status).toBe(1);
    const noReason = filter(report([]), skipFile([{ check: 'CKV_AWS_1', resources: ['*'], reason: '' }]));
    expect(noReason.status).not.toBe(0);
    expect(noReason.stderr).toContain('needs check, resources and a reason');
    expect(filter(report([], 10, 1), skipFile([])).status).toBe(1);
    expect(filter(report([], 0), skipFile([])).status).toBe(1);
  });

  test('every entry of the reviewed list has a reason', () => {
    const text = readFileSync(SKIPS, 'utf8');
    expect(text.match(/- check: /g)!.length).toBe(text.match(/^\s+reason: /gm)!.length);
  });
});

describe('scripts/checkov-scan.sh on the real synthesized stacks', () => {
  test('fails when a reviewed skip is removed, naming the finding', () => {
    const reduced = join(tempDir(), 'skip.yaml');
    // Drop the CKV_AWS_130 (public subnet) entry: its finding must surface.
    const text = readFileSync(SKIPS, 'utf8');
    const start = text.indexOf('  - check: CKV_AWS_130');
    const end = text.indexOf('  - check:', start + 1);
    writeFileSync(reduced, text.slice(0, start) + text.slice(end));
    const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/checkov-scan.sh'), '--skips', reduced], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stdout).toMatch(/UNJUSTIFIED CKV_AWS_130 on .*network_public-subnet/);
    expect(r.stdout).toContain('checkov scan: FAILED');
    expect(r.status).toBe(1);
  });
});

