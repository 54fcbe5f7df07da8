// The image's build/push plan (no Docker engine here): pure plan + the script's --dry-run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../../helpers/stacks.js';
import { imagePlan, imageTag, readImageInputs, splitRepositoryUrl, stepLine } from '../../../runner/serverless/image-plan.js';

const REPO_URL = '123456789012.dkr.ecr.eu-west-3.amazonaws.com/fruits-job';
const inputs = { dockerfile: 'FROM x', requirements: 'numpy==1.26.4\n', releaseLabel: 'emr-7.12.0' };

test('the tag is a content hash of Dockerfile, package list and release', () => {
  const t = imageTag(inputs);
  expect(t).toMatch(/^fruits-[0-9a-f]{16}$/);
  expect(imageTag({ ...inputs })).toBe(t);
  expect(imageTag({ ...inputs, requirements: 'numpy==1.26.5\n' })).not.toBe(t);
  expect(imageTag({ ...inputs, releaseLabel: 'emr-7.11.0' })).not.toBe(t);
  expect(imageTag({ ...inputs, dockerfile: 'FROM y' })).not.toBe(t);
  expect(imageTag(readImageInputs(REPO_ROOT, 'emr-7.12.0'))).toMatch(/^fruits-/);
});

test('plan: probe the tag, log in, build for linux/amd64 with the release, push', () => {
  const plan = imagePlan({ repositoryUrl: REPO_URL, region: 'eu-west-3', releaseLabel: 'emr-7.12.0', tag: 'fruits-abc' });
  expect(plan.imageUri).toBe(`${REPO_URL}:fruits-abc`);
  expect(plan.steps.map(stepLine)).toEqual([
    'aws ecr describe-images --region eu-west-3 --repository-name fruits-job --image-ids imageTag=fruits-abc',
    'aws ecr get-login-password --region eu-west-3 | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-3.amazonaws.com',
    `docker build --platform linux/amd64 --build-arg RELEASE_LABEL=emr-7.12.0 -f serverless/Dockerfile -t ${REPO_URL}:fruits-abc serverless`,
    `docker push ${REPO_URL}:fruits-abc`,
  ]);
  expect(plan.steps[0]!.probe).toBe(true);
});

test('the build context is serverless/ alone, and the Dockerfile copies only from it', () => {
  const build = imagePlan({ repositoryUrl: REPO_URL, region: 'eu-west-3', releaseLabel: 'emr-7.12.0', tag: 'fruits-abc' }).steps.find((st) => st.argv[1] === 'build')!;
  expect(build.argv.at(-1)).toBe('serverless');
  const copies = readFileSync(join(REPO_ROOT, 'serverless/Dockerfile'), 'utf8').split('\n').filter((l) => /^(COPY|ADD)\b/.test(l));
  for (const line of copies) expect(existsSync(join(REPO_ROOT, 'serverless', line.split(/\s+/)[1]!))).toBe(true);
  expect(copies.length).toBeGreaterThan(0);
});

test('a repository URL without a name is refused', () => {
  expect(() => splitRepositoryUrl('123456789012.dkr.ecr.eu-west-3.amazonaws.com')).toThrow(/not an ECR repository URL/);
  expect(splitRepositoryUrl(REPO_URL)).toEqual({ registry: '123456789012.dkr.ecr.eu-west-3.amazonaws.com', name: 'fruits-job' });
});

describe('npm run image -- push --dry-run', () => {
  const dir = tempDir('fruits-image-');
  const run = (outputs: unknown) => {
    const file = join(dir, `outputs-${Math.random()}.json`);
    writeFileSync(file, JSON.stringify(outputs));
    return spawnSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['scripts/serverless-image.ts', 'push', '--dry-run', '--json', '--outputs-file', file], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, FRUITS_RELEASE_LABEL: 'emr-7.12.0' },
    });
  };

  test('prints the plan for the stack\'s repository and the tag to configure, runs nothing', () => {
    const r = run({ 'fruits-emr': { region: 'eu-west-3', ecr_repository_url: REPO_URL } });
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as { dryRun: boolean; tag: string; steps: { command: string }[]; next: string };
    expect(result.dryRun).toBe(true);
    expect(result.tag).toBe(imageTag(readImageInputs(REPO_ROOT, 'emr-7.12.0')));
    expect(result.steps.at(-1)!.command).toBe(`docker push ${REPO_URL}:${result.tag}`);
    expect(result.next).toContain(`"imageTag": "${result.tag}"`);
  });

  const bare = (...args: string[]) => spawnSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['scripts/serverless-image.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

  test('--help prints the usage (exit 0); no command or an unknown option is one usage line (exit 2), never a push', () => {
    const help = bare('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npm run image -- push [--dry-run]');
    for (const args of [[], ['push', '--bogus']]) {
      const r = bare(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('usage: npm run image -- push');
    }
    // The same line as the fruits CLI's for a typo: no advice from Node on positionals starting with '-'.
    expect(bare('push', '--bogus').stderr.trim()).toBe("error: Unknown option '--bogus'; usage: npm run image -- push [--dry-run] [--json] [--config FILE] [--outputs-file FILE]");
  });

  test('without the serverless outputs: one line naming the fix, exit 2', () => {
    const r = run({ 'fruits-emr': { region: 'eu-west-3' } });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no ecr_repository_url output .*set compute to "serverless"/);
  });
});
