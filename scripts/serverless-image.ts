// npm run image -- [push] [--dry-run] [--json] [--config FILE] [--outputs-file FILE]
// Builds serverless/Dockerfile for the configured EMR release and pushes it to the stack's ECR
// repository (the ecr_repository_url output of compute "serverless"), under a content-hash tag;
// then says which tag to set as serverless.imageTag. Needs Docker and the AWS CLI (v2) locally.
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { loadConfig, repoRoot } from '../config/index.js';
import { DEPLOY_HINT, outputsLack, readStackOutputs } from '../runner/aws/stack-outputs.js';
import { envError, jobError, usageError } from '../config/errors.js';
import { makeOutput } from '../runner/platform/output.js';
import { isParseArgsError, parseArgsProblem, reportError } from '../runner/platform/report-error.js';
import { imagePlan, imageTag, readImageInputs, stepLine } from '../runner/serverless/image-plan.js';

const USAGE = [
  'usage: npm run image -- push [--dry-run] [--json] [--config FILE] [--outputs-file FILE]',
  '  push            build serverless/Dockerfile for the configured EMR release and push it to the stack\'s ECR repository',
  '                  under a content-hash tag (skipped when that tag is already there); prints the serverless.imageTag to set',
  '  --dry-run       print the docker and aws commands instead of running them',
  'Needs Docker and the AWS CLI v2 (docs/serverless.md).',
].join('\n');

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const out = makeOutput(json);
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, config: { type: 'string' }, 'outputs-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      out.result({ usage: USAGE }, USAGE);
      return 0;
    }
    const [verb, ...rest] = positionals;
    if (verb === undefined) throw usageError('missing command', `${USAGE.split('\n')[0]} (push builds and uploads the image: nothing runs without it)`);
    if (verb !== 'push' || rest.length) throw usageError(`unknown arguments "${positionals.join(' ')}"`, USAGE.split('\n')[0]!);
    const cfg = loadConfig({ configPath: values.config, flags: { 'emr.outputsFile': values['outputs-file'] } });
    const outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
    if (!outputs.ecrRepositoryUrl) {
      throw usageError(`${outputsLack(cfg.emr.outputsFile, 'ecr_repository_url output')} (a stack deployed with compute "serverless" has one)`, `set compute to "serverless", then ${DEPLOY_HINT}`);
    }
    const region = cfg.emr.region ?? outputs.region ?? cfg.region;
    const root = repoRoot();
    const tag = imageTag(readImageInputs(root, cfg.releaseLabel));
    const plan = imagePlan({ repositoryUrl: outputs.ecrRepositoryUrl, region, releaseLabel: cfg.releaseLabel, tag });
    const next = `set "serverless": {"imageTag": "${tag}"} in fruits.config.json (or FRUITS_SERVERLESS_IMAGE_TAG=${tag}) and deploy again`;
    if (values['dry-run']) {
      out.result({ dryRun: true, tag, imageUri: plan.imageUri, steps: plan.steps.map((s) => ({ title: s.title, command: stepLine(s) })), next },
        [...plan.steps.map((s) => `# ${s.title}\n${stepLine(s)}`), `# then: ${next}`].join('\n'));
      return 0;
    }
    for (const step of plan.steps) {
      out.info(`image: ${step.title}`);
      const [file, ...args] = step.argv;
      const run = step.stdinFrom
        ? execa(step.stdinFrom[0]!, step.stdinFrom.slice(1), { cwd: root, reject: false }).pipe(file!, args, { cwd: root, reject: false, stdout: 'inherit', stderr: 'inherit' })
        : execa(file!, args, { cwd: root, reject: false, stdout: step.probe ? 'ignore' : 'inherit', stderr: step.probe ? 'ignore' : 'inherit' });
      const r = await run;
      if ((r as { code?: string }).code === 'ENOENT') throw envError(`${file} not found`, 'install Docker and the AWS CLI v2 on this machine (no Docker here: use --dry-run and run the commands elsewhere)');
      if (step.probe) {
        if (r.exitCode === 0) {
          out.result({ tag, imageUri: plan.imageUri, pushed: false, next }, `${plan.imageUri} is already in the repository; ${next}`);
          return 0;
        }
        continue;
      }
      if (r.exitCode !== 0) throw jobError(`"${stepLine(step)}" failed with exit code ${r.exitCode}`, 'see its output above');
    }
    out.result({ tag, imageUri: plan.imageUri, pushed: true, next }, `pushed ${plan.imageUri}; ${next}`);
    return 0;
  } catch (caught) {
    // parseArgs errors (unknown option, missing value) are usage errors, not crashes.
    return reportError(isParseArgsError(caught) ? usageError(parseArgsProblem(caught), USAGE.split('\n')[0]!, { cause: caught }) : caught, out);
  }
}

process.exitCode = await main(process.argv.slice(2));
