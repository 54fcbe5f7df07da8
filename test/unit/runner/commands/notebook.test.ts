// runner/commands/notebook.ts: the pure parts (parameters, push plan, jupyter argv, password
// command) and the dry runs, in-process; the S3 upload is in test/integration/runner/notebook-push.test.ts.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  jupyterArgv, NOTEBOOK, newPassword, passwordCommand, pushPlan, PYSPARK_KERNEL, withParameters,
} from '../../../../runner/commands/notebook.js';
import { routedThroughTunnel } from '../../../../runner/argv/ssh-tunnel.js';
import { REPO_ROOT } from '../../../helpers/stacks.js';
import { EMR_OUTPUTS_WITH_MASTER, inProcessCli } from '../../../helpers/in-process-cli.js';

const { dir, cli } = inProcessCli({ ...EMR_OUTPUTS_WITH_MASTER, notebooksUri: 's3://a/jupyter/' }, 'fruits-nb-');
const key = join(dir, 'ops.pem');
writeFileSync(key, 'not a real key');
chmodSync(key, 0o600);
const shipped = readFileSync(join(REPO_ROOT, NOTEBOOK), 'utf8');

describe('notebook push: what is uploaded', () => {
  test('the parameters cell gets RUN and JOB_PACKAGE as Python strings, the notebook the PySpark kernel', () => {
    const nb = JSON.parse(withParameters(shipped, { run: 's3://d/results/run-1', jobPackage: 's3://a/code/notebook/ab/fruits_job.zip' }));
    const params = nb.cells.find((c: { metadata: { tags?: string[] } }) => c.metadata.tags?.includes('parameters'));
    const src = [params.source].flat().join('');
    expect(src).toMatch(/^RUN = "s3:\/\/d\/results\/run-1"$/m);
    expect(src).toMatch(/^JOB_PACKAGE = "s3:\/\/a\/code\/notebook\/ab\/fruits_job.zip"$/m);
    expect(src).toMatch(/^PHOTO = ""$/m);
    expect(nb.metadata.kernelspec).toEqual(PYSPARK_KERNEL);
    // Everything else is the shipped notebook.
    const original = JSON.parse(shipped);
    expect(nb.cells.length).toBe(original.cells.length);
    expect(nb.cells.filter((c: unknown) => c !== params)).toEqual(original.cells.filter((c: { metadata: { tags?: string[] } }) => !c.metadata.tags?.includes('parameters')));
  });

  test('a notebook without its parameters cell is refused with the fix', () => {
    const nb = JSON.parse(shipped);
    nb.cells = nb.cells.filter((c: { metadata: { tags?: string[] } }) => !c.metadata.tags?.includes('parameters'));
    expect(() => withParameters(JSON.stringify(nb), { run: 's3://d/r/x', jobPackage: 's3://a/p.zip' })).toThrow(/no cell tagged "parameters"; restore it from git/);
  });

  test('plan: the notebook under jovyan/ of the notebooks prefix, the zip under code/notebook/<content hash>/', () => {
    expect(pushPlan({ run: 's3://d/results/run-7/', codeUri: 's3://a/code/', notebooksUri: 's3://a/jupyter/', zipSha256: 'f'.repeat(64) })).toEqual({
      runId: 'run-7',
      jobPackage: `s3://a/code/notebook/${'f'.repeat(16)}/fruits_job.zip`,
      notebook: 's3://a/jupyter/jovyan/explore_run-7.ipynb',
      jupyterHubPath: 'jovyan/explore_run-7.ipynb',
    });
  });

  test('--dry-run names both uploads; a local --run or none is refused (the cluster reads S3)', async () => {
    const r = await cli(['notebook', 'push', '--run', 's3://d/results/run-1', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({ notebook: 's3://a/jupyter/jovyan/explore_run-1.ipynb', jobPackage: expect.stringMatching(/^s3:\/\/a\/code\/notebook\/[0-9a-f]{16}\/fruits_job\.zip$/) });
    const local = await cli(['notebook', 'push', '--run', 'runs/run-1']);
    expect(local.code).toBe(2);
    expect(local.out.errors[0]).toMatch(/^error: --run runs\/run-1 is not an s3:\/\/ run folder; the cluster cannot read this machine's files/);
    expect((await cli(['notebook', 'push'])).out.errors[0]).toMatch(/^error: missing --run/);
  });
});

describe('notebook start (local Jupyter)', () => {
  test('JupyterLab on 127.0.0.1 only, a fixed port, the checkout as root; the token is not in the argv', async () => {
    expect(jupyterArgv('/v/bin/python', '/repo', 8890)).toEqual(['/v/bin/python', '-m', 'jupyter', 'lab', '--no-browser', '--ip=127.0.0.1', '--port=8890', '--ServerApp.port_retries=0', '--ServerApp.root_dir=/repo']);
    const r = await cli(['notebook', '--run', 'runs/run-1', '--notebook-port', '8890', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({ url: 'http://127.0.0.1:8890/lab/tree/notebooks/explore_run.ipynb?token=<token>', run: 'runs/run-1' });
    expect((r.data!.argv as string[]).join(' ')).not.toMatch(/token/i);
  });

  test('a bad port or action is a usage error', async () => {
    expect((await cli(['notebook', '--notebook-port', '0'])).out.errors[0]).toMatch(/^error: --notebook-port must be an integer between 1 and 65535/);
    expect((await cli(['notebook', 'open'])).out.errors[0]).toMatch(/^error: unknown notebook action "open"; use start \(default\), push or password/);
  });
});

describe('notebook password', () => {
  test('the password goes on stdin only; the ssh command and the dry run never hold it', async () => {
    const pw = newPassword();
    expect(pw).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(newPassword()).not.toBe(pw);
    const cmd = passwordCommand(pw);
    expect(cmd).toEqual({ remote: 'sudo docker exec -i jupyterhub chpasswd', stdin: `jovyan:${pw}\n` });
    const r = await cli(['notebook', 'password', '--key', key, '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(r.data).toEqual({
      argv: ['ssh', '-i', key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20', 'hadoop@ec2-1-2-3-4.eu-west-1.compute.amazonaws.com', 'sudo docker exec -i jupyterhub chpasswd'],
      stdin: 'jovyan:<new password>',
    });
  });
});

describe('tunnel: where JupyterHub is', () => {
  test('the exact URL and port, and the FoxyProxy pattern that sends it through the tunnel', async () => {
    const r = await cli(['tunnel', '--key', key, '--dry-run']);
    expect(r.code).toBe(0);
    const human = r.out.results[0]!.human;
    expect(human).toContain('JupyterHub: https://ec2-1-2-3-4.eu-west-1.compute.amazonaws.com:9443 through the SOCKS proxy localhost:8157');
    expect(human).toMatch(/FoxyProxy pattern "EC2 public names \(\*\.amazonaws\.com with ec2\)": \^https\?:/);
    expect(human).toContain('user jovyan, password: fruits notebook password');
    const json = await cli(['tunnel', '--key', key, '--dry-run', '--json']);
    expect(new RegExp(json.data!.jupyterHubPattern as string, 'i').test('https://ec2-1-2-3-4.eu-west-1.compute.amazonaws.com:9443/hub/login')).toBe(true);
    expect(routedThroughTunnel('https://ec2-1-2-3-4.eu-west-1.compute.amazonaws.com:9443/')).toBe(true);
  });
});
