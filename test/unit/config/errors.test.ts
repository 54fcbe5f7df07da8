// config/errors.ts: the one error type (problem, fix, exit code, cause) and its one printed form.
import { ConfigError, ExitCode, FruitsError, problemLine, problemText, usageError, envError } from '../../../config/errors.js';

describe('one error type', () => {
  test('problem and fix print as one line joined by "; " (config and runner alike)', () => {
    expect(problemText({ problem: 'p', fix: 'f' })).toBe('p; f');
    expect(problemLine('p')).toBe('p');
    expect(usageError('missing target', 'fruits run <local|vm|emr> ...').message).toBe('missing target; fruits run <local|vm|emr> ...');
    expect(new ConfigError('"vm.port" in x must be 1..65535', 'fix it').message).toBe('"vm.port" in x must be 1..65535; fix it');
  });

  test('a ConfigError is a FruitsError with exit code 2 and its cause', () => {
    const cause = new Error('under');
    const e = new ConfigError('bad', 'fix', { cause });
    expect(e).toBeInstanceOf(FruitsError);
    expect(e).toMatchObject({ name: 'ConfigError', problem: 'bad', fix: 'fix', exitCode: ExitCode.usage, cause });
    expect(ConfigError.at('FRUITS_VM_PORT', { problem: 'must be a number' }).message).toBe('FRUITS_VM_PORT must be a number');
  });

  test('the makers set the exit code and keep the cause', () => {
    const cause = new Error('enoent');
    expect(envError('no java', 'install it', { cause })).toMatchObject({ exitCode: ExitCode.environment, problem: 'no java', fix: 'install it', cause });
  });
});
