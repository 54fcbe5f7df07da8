// runner/aws/errors.ts (AWS SDK errors -> FruitsError) through the CLI: FRUITS_DEBUG=1 shows the cause chain of a wrapped AWS error.
import { DescribeClusterCommand, DescribeStepCommand, InternalServerException } from '@aws-sdk/client-emr';
import { main } from '../../../../runner/cli.js';
import { fromAwsError } from '../../../../runner/aws/errors.js';
import { captureOutput, fakeClock } from '../../../helpers/runner.js';
import { EMR_OUTPUTS, inProcessCli, mockedAws } from '../../../helpers/in-process-cli.js';

const { emrMock } = mockedAws();
const { env } = inProcessCli(EMR_OUTPUTS, 'fruits-day-');

describe('FRUITS_DEBUG', () => {
  // A real SDK exception class, as the EMR client throws it.
  const sdkError = () => new InternalServerException({ message: 'We encountered an internal error', $metadata: { httpStatusCode: 500, requestId: 'req-42' } });

  const statusWithDebug = async (debug: Record<string, string>) => {
    emrMock.on(DescribeClusterCommand).resolves({ Cluster: { Id: 'j-ABC', Status: { State: 'WAITING' } } });
    emrMock.on(DescribeStepCommand).rejects(sdkError());
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof write;
    try {
      const out = captureOutput();
      const code = await main(['status', 's-1'], { out, env: { ...env, ...debug }, clock: fakeClock() });
      return { code, out, stderr: written.join('') };
    } finally {
      process.stderr.write = write;
    }
  };

  test('an AWS error keeps the SDK error as cause; FRUITS_DEBUG=1 prints the cause chain with stacks', async () => {
    const plain = await statusWithDebug({});
    expect(plain.code).toBe(1);
    expect(plain.out.errors).toEqual(['error: DescribeStep s-1 failed (InternalServerException: We encountered an internal error)']);
    expect(plain.stderr).toBe('');

    const debug = await statusWithDebug({ FRUITS_DEBUG: '1' });
    expect(debug.out.errors).toEqual(plain.out.errors);
    expect(debug.stderr).toMatch(/^FruitsError: DescribeStep s-1 failed[^\n]*\n\s+at /);
    expect(debug.stderr).toMatch(/\ncaused by: InternalServerException: We encountered an internal error\n\s+at /);
    expect(debug.stderr).toContain('"requestId":"req-42"');
  });

  test('fromAwsError keeps the original error as cause', () => {
    const e = sdkError();
    expect(fromAwsError(e, 'DescribeStep s-1').cause).toBe(e);
    expect(fromAwsError(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }), 'x')).toMatchObject({ exitCode: 4, problem: 'AWS denied x (AccessDeniedException: denied)', fix: expect.stringMatching(/^use a role/) });
  });
});
