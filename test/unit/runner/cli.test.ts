// runner/cli.ts: the CLI surface (help, usage errors, exit codes) and errors under --json, in-process.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main, USAGE } from '../../../runner/cli.js';
import { makeOutput } from '../../../runner/platform/output.js';
import { targetNames } from '../../../runner/targets/registry.js';
import { fakeClock } from '../../helpers/runner.js';
import { EMR_OUTPUTS_WITH_MASTER, inProcessCli } from '../../helpers/in-process-cli.js';

const { dir, outputsFile, cli } = inProcessCli(EMR_OUTPUTS_WITH_MASTER, 'fruits-ops-');
const key = join(dir, 'ops.pem');
writeFileSync(key, 'not a real key');
chmodSync(key, 0o600);

describe('cli surface', () => {
  test('help lists every command and the exit codes', async () => {
    const r = await cli(['help']);
    expect(r.code).toBe(0);
    for (const c of [`run <${targetNames().join('|')}>`, 'upload-data', 'tunnel', 'status', 'logs', 'doctor', '130 interrupted']) expect(USAGE).toContain(c);
  });

  test('--json errors are machine-readable too', async () => {
    const r = await cli(['run', 'local', '--json']);
    expect(r.code).toBe(2);
    expect(r.out.errors).toEqual(['error: missing --input; pass the image folder (<root>/<Split>/<Label>/*.jpg)']);
  });

  test('status/logs validate ids before calling AWS', async () => {
    expect((await cli(['logs'])).out.errors[0]).toMatch(/missing step id/);
    expect((await cli(['status', 'bogus'])).out.errors[0]).toMatch(/not an EMR step id/);
    expect((await cli(['run', 'emr', '--cluster-id', 'cluster-1', '--dry-run'])).out.errors[0]).toMatch(/not an EMR cluster id/);
  });

  test('emr needs s3:// input and output', async () => {
    const r = await cli(['run', 'emr', '--input', '/local/images', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.out.errors[0]).toMatch(/--input must be an s3:\/\/ URI for emr \(got \/local\/images\)/);
  });
});

describe('errors under --json', () => {
  test('the error object carries problem, fix and exitCode as fields', async () => {
    const chunks = { out: '', err: '' };
    const sink = (k: 'out' | 'err') => new Writable({ write: (c, _e, cb) => ((chunks[k] += String(c)), cb()) });
    const code = await main(['run', 'local', '--json'], { out: makeOutput(true, sink('out'), sink('err')), env: { FRUITS_OUTPUTS_FILE: outputsFile }, clock: fakeClock() });
    expect(code).toBe(2);
    expect(JSON.parse(chunks.out)).toEqual({
      status: 'error', exitCode: 2,
      error: 'missing --input; pass the image folder (<root>/<Split>/<Label>/*.jpg)',
      problem: 'missing --input', fix: 'pass the image folder (<root>/<Split>/<Label>/*.jpg)',
    });
    expect(chunks.err).toBe('error: missing --input; pass the image folder (<root>/<Split>/<Label>/*.jpg)\n');
  });
});
