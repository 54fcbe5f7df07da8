// runner/argv/ssh.ts: pure ssh/scp argv builders and the remote shell snippets.
import { remoteKillCommand, remoteRunCommand, scpFromArgv, scpToArgv, shQuote, sshArgv, type SshTarget } from '../../../../runner/argv/ssh.js';

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
