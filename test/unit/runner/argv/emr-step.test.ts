// runner/argv/emr-step.ts: the pure EMR step definition, code location and log/summary URIs.
import { buildEmrStep, codeLocation, stepLogUris, summaryUri } from '../../../../runner/argv/emr-step.js';
import { joinS3, parseS3Uri } from '../../../../runner/aws/s3-uri.js';

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
