// Pure builders: spark-submit argv, ssh/scp argv and remote snippets, EMR step, URIs, tunnel.
import { buildJobArgs, buildSparkSubmitArgv, newRunId, parseConfFlags, parseSummaryLine } from '../../runner/argv/spark-submit.js';
import { remoteKillCommand, remoteRunCommand, scpFromArgv, scpToArgv, shQuote, sshArgv, type SshTarget } from '../../runner/argv/ssh.js';
import { buildEmrStep, codeLocation, stepLogUris, summaryUri } from '../../runner/argv/emr-step.js';
import { joinS3, parseS3Uri } from '../../runner/aws/s3-uri.js';
import { foxyProxyConfig, jupyterHubUrl, tunnelArgv } from '../../runner/argv/ssh-tunnel.js';
import { FruitsError } from '../../runner/platform/errors.js';

describe('spark-submit builders', () => {
  test('job args carry input, output, run id and only the options given', () => {
    expect(buildJobArgs({ input: '/in', output: '/out', runId: 'r1' })).toEqual(['--input', '/in', '--output', '/out', '--run-id', 'r1']);
    expect(
      buildJobArgs({ input: 's3://b/i/', output: 's3://b/o/', runId: 'r2', varianceTarget: 0.95, weights: 'test-only-random:1', batchSize: 16, overwrite: true, extra: ['--x'] }),
    ).toEqual(['--input', 's3://b/i/', '--output', 's3://b/o/', '--run-id', 'r2', '--variance-target', '0.95', '--weights', 'test-only-random:1', '--batch-size', '16', '--overwrite', '--x']);
  });

  test('bad run id and k with variance target are usage errors', () => {
    expect(() => buildJobArgs({ input: 'a', output: 'b', runId: '../etc' })).toThrow(/bad --run-id/);
    expect(() => buildJobArgs({ input: 'a', output: 'b', runId: 'r', k: 5, varianceTarget: 0.9 })).toThrow(FruitsError);
  });

  test('spark-submit argv orders options, sorts conf, then script and job args', () => {
    expect(
      buildSparkSubmitArgv({ sparkSubmit: '/s/spark-submit', master: 'local[2]', conf: { 'spark.b': '2', 'spark.a': '1' }, pyFiles: '/t/z.zip', script: '/j/run_job.py', jobArgs: ['--input', 'x'] }),
    ).toEqual(['/s/spark-submit', '--master', 'local[2]', '--conf', 'spark.a=1', '--conf', 'spark.b=2', '--py-files', '/t/z.zip', '/j/run_job.py', '--input', 'x']);
  });

  test('run id default matches the job (UTC)', () => {
    expect(newRunId(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), 'abc123')).toBe('run-20260102-030405-abc123');
    const sameSecond = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const ids = new Set(Array.from({ length: 50 }, () => newRunId(sameSecond)));
    expect(ids.size).toBe(50); // two runs started in the same second never share a folder
    for (const id of ids) expect(id).toMatch(/^run-20260102-030405-[0-9a-f]{6}$/);
  });

  test('conf flags parse; malformed ones are rejected', () => {
    expect(parseConfFlags(['spark.driver.memory=4g', 'a=b=c'])).toEqual({ 'spark.driver.memory': '4g', a: 'b=c' });
    expect(() => parseConfFlags(['nope'])).toThrow(/--conf key=value/);
  });

  test('summary marker line', () => {
    expect(parseSummaryLine('FRUITS_RUN_SUMMARY s3://b/o/r/summary.json')).toBe('s3://b/o/r/summary.json');
    expect(parseSummaryLine('INFO FRUITS_RUN_SUMMARY x')).toBeUndefined();
    expect(parseSummaryLine('other')).toBeUndefined();
  });
});

describe('ssh builders', () => {
  const t: SshTarget = { host: 'vm.local', user: 'ubuntu', port: 2222, key: '/k/id', knownHosts: '/k/kh', strictHostKeyChecking: 'yes', connectTimeoutSeconds: 7 };

  test('quoting keeps ~/ expandable and everything else literal', () => {
    expect(shQuote('plain/path-1.txt')).toBe('plain/path-1.txt');
    expect(shQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(shQuote('~/fruits dir')).toBe(`"$HOME"/'fruits dir'`);
    expect(shQuote('local[*]')).toBe(`'local[*]'`);
  });

  test('ssh argv uses batch mode, key, known_hosts and port', () => {
    const argv = sshArgv(t, 'true');
    expect(argv[0]).toBe('ssh');
    expect(argv).toEqual(expect.arrayContaining(['BatchMode=yes', 'ConnectTimeout=7', 'StrictHostKeyChecking=yes', 'UserKnownHostsFile=/k/kh', '-i', '/k/id']));
    expect(argv.slice(-4)).toEqual(['-p', '2222', 'ubuntu@vm.local', 'true']);
  });

  test('scp uses -P and home-relative remote paths', () => {
    expect(scpToArgv(t, ['/a', '/b'], '~/fruits/code/r1').slice(-3)).toEqual(['/a', '/b', 'ubuntu@vm.local:fruits/code/r1/']);
    expect(scpToArgv(t, ['/a'], '/abs')).toEqual(expect.arrayContaining(['-P', '2222']));
    expect(scpFromArgv(t, '/o/r/summary.json', '/l/s.json').slice(-2)).toEqual(['ubuntu@vm.local:/o/r/summary.json', '/l/s.json']);
  });

  test('remote run command records the group id, exports python and runs the job', () => {
    const cmd = remoteRunCommand({ workDir: '~/fruits', pidFile: 'code/r1/job.pid', env: { PYSPARK_PYTHON: '/opt/v/bin/python' }, argv: ['/opt/spark/bin/spark-submit', '--master', 'local[*]', 'code/r1/run_job.py'] });
    expect(cmd).toContain('cd "$HOME"/fruits');
    expect(cmd).toContain('export PYSPARK_PYTHON=/opt/v/bin/python');
    expect(cmd).toContain("setsid sh -c 'echo $$ > \"$0\"; exec \"$@\"' code/r1/job.pid /opt/spark/bin/spark-submit --master 'local[*]' code/r1/run_job.py");
    expect(cmd).toContain('command -v /opt/spark/bin/spark-submit');
    expect(remoteKillCommand('code/r1/job.pid', 3)).toMatch(/kill -TERM -- "-\$pg"[\s\S]*-lt 3[\s\S]*kill -KILL/);
  });
});

describe('EMR step builders', () => {
  const code = codeLocation('s3://art/code/', 'run-1');

  test('code goes under a per-run prefix', () => {
    expect(code).toEqual({ prefix: 's3://art/code/runs/run-1/', runJobUri: 's3://art/code/runs/run-1/run_job.py', zipUri: 's3://art/code/runs/run-1/fruits_job.zip' });
  });

  test('step is a command-runner spark-submit with CONTINUE and the job args', () => {
    const step = buildEmrStep({ runId: 'run-1', code, deployMode: 'client', actionOnFailure: 'CONTINUE', conf: { 'spark.x': '1' }, jobArgs: ['--input', 's3://d/images/'] });
    expect(step).toEqual({
      Name: 'fruits run-1',
      ActionOnFailure: 'CONTINUE',
      HadoopJarStep: {
        Jar: 'command-runner.jar',
        Args: ['spark-submit', '--deploy-mode', 'client', '--conf', 'spark.x=1', '--py-files', code.zipUri, code.runJobUri, '--input', 's3://d/images/'],
      },
    });
  });

  test('log and summary URIs', () => {
    expect(stepLogUris('s3n://logs/emr-logs/', 'j-1', 's-2')).toEqual({
      dir: 's3://logs/emr-logs/j-1/steps/s-2/',
      stderr: 's3://logs/emr-logs/j-1/steps/s-2/stderr.gz',
      stdout: 's3://logs/emr-logs/j-1/steps/s-2/stdout.gz',
    });
    expect(stepLogUris('s3://logs/emr-logs', 'j-1', 's-2').stderr).toBe('s3://logs/emr-logs/j-1/steps/s-2/stderr.gz');
    expect(summaryUri('s3://d/results/', 'r')).toBe('s3://d/results/r/summary.json');
  });

  test('S3 URI parsing and joining', () => {
    expect(parseS3Uri('s3://b/k/x')).toEqual({ bucket: 'b', key: 'k/x' });
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', key: '' });
    expect(() => parseS3Uri('/local')).toThrow(/not an s3:\/\/ URI/);
    expect(joinS3('s3://b/', 'a/', 'c')).toBe('s3://b/a/c');
    expect(joinS3('s3://b/p', 'x/')).toBe('s3://b/p/x/');
  });
});

describe('tunnel builders', () => {
  test('dynamic forward to the master and the JupyterHub URL', () => {
    expect(tunnelArgv({ key: '/k.pem', user: 'hadoop', masterDns: 'ec2-1.compute.amazonaws.com', port: 8157 })).toEqual([
      'ssh', '-i', '/k.pem', '-N', '-D', '8157', '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=30', '-o', 'IdentitiesOnly=yes', 'hadoop@ec2-1.compute.amazonaws.com',
    ]);
    expect(jupyterHubUrl('m.example')).toBe('https://m.example:9443');
  });

  test('FoxyProxy config routes EMR hosts to the SOCKS port', () => {
    const c = foxyProxyConfig(8157);
    expect(c.data[0]).toMatchObject({ type: 'socks5', hostname: 'localhost', port: '8157', proxyDNS: true });
    expect(c.data[0]!.include.every((i) => i.type === 'regex' && i.pattern.startsWith('^https?://'))).toBe(true); // anchored (FoxyProxy 8 matches whole URLs)
  });
});
