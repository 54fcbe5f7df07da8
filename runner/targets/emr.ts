// emr target: upload the job to the code location, add a spark-submit step to the
// project's cluster, follow it, explain failures with the step's own logs.
import { AddJobFlowStepsCommand } from '@aws-sdk/client-emr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEmrStep, codeLocation, summaryUri } from '../argv/emr-step.js';
import { isS3Uri } from '../aws/s3-uri.js';
import type { AwsClients } from '../aws/clients.js';
import { ExitCode, InterruptedError, usageError } from '../../config/errors.js';
import { fromAwsError } from '../aws/errors.js';
import { locateJob, writeJobZip } from '../packaging/package-job.js';
import { DEPLOY_HINT, readStackOutputs, type StackOutputs } from '../aws/stack-outputs.js';
import type { Config } from '../../config/index.js';
import { checkCluster, clientsFor, putFile, resolveEmrSettings } from '../aws/emr-settings.js';
import { followStep } from '../aws/step-follow.js';
import { jobArgvFor, type RunContext, type RunOutcome, type RunRequest } from './run-request.js';
import type { Target } from './registry.js';

export interface EmrDeps {
  clients?: AwsClients;
  outputs?: StackOutputs;
}

export async function runEmr(req: RunRequest, ctx: RunContext, deps: EmrDeps = {}): Promise<RunOutcome> {
  // The stack's compute mode decides what runs the job (the CLI hands over the whole config).
  if ((ctx.cfg as Partial<Pick<Config, 'compute'>>).compute === 'serverless') return (await import('./emr-serverless.js')).runEmrServerless(req, ctx);
  const { cfg, out } = ctx;
  const stackOutputs = deps.outputs ?? readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  // compute "transient": a cluster per run (unless --cluster-id names one to use).
  if (stackOutputs.compute === 'transient' && !cfg.emr.clusterId) {
    return (await import('./emr-transient.js')).runEmrTransient(req, ctx, { clients: deps.clients, outputs: stackOutputs });
  }
  const settings = resolveEmrSettings(cfg, stackOutputs);
  const { outputs, clusterId } = settings;
  const input = req.input ?? outputs.inputUri;
  const output = req.output ?? outputs.resultsUri;
  if (!input || !isS3Uri(input)) throw usageError(`--input must be an s3:// URI for emr (got ${input ?? 'nothing'})`, `pass --input or ${DEPLOY_HINT}`);
  if (!output || !isS3Uri(output)) throw usageError(`--output must be an s3:// URI for emr (got ${output ?? 'nothing'})`, `pass --output or ${DEPLOY_HINT}`);
  const codeUri = cfg.emr.codeUri ?? outputs.codeUri;
  if (!codeUri) throw usageError('no code location', `set emr.codeUri or ${DEPLOY_HINT}`);
  const job = locateJob(cfg.jobDir);
  const code = codeLocation(codeUri, req.runId);
  const step = buildEmrStep({
    runId: req.runId,
    code,
    deployMode: cfg.emr.deployMode,
    actionOnFailure: cfg.emr.actionOnFailure,
    conf: { ...cfg.emr.sparkConf, ...req.conf },
    jobArgs: jobArgvFor(req, cfg, input, output),
  });
  if (req.dryRun) {
    const plan = { target: 'emr', runId: req.runId, clusterId, region: settings.region, upload: { [job.runJob]: code.runJobUri, 'fruits_job.zip': code.zipUri }, step };
    out.result(plan, JSON.stringify(plan, null, 2));
    return { exitCode: ExitCode.ok, data: {} };
  }
  if (cfg.emr.actionOnFailure !== 'CONTINUE') {
    out.info(`fruits: warning: ActionOnFailure ${cfg.emr.actionOnFailure} lets a failed step ${cfg.emr.actionOnFailure === 'TERMINATE_CLUSTER' ? 'terminate the shared cluster' : 'cancel the steps queued after it'}`);
  }
  (await import('./emr-transient.js')).printCostLine(cfg, out);
  const { emr, s3 } = deps.clients ?? clientsFor(cfg, settings);
  const cluster = await checkCluster(emr, clusterId);
  const logUri = cfg.emr.logUri ?? cluster.LogUri ?? outputs.logUri;

  const tmp = mkdtempSync(join(tmpdir(), 'fruits-emr-'));
  let stepId: string;
  try {
    const zip = join(tmp, 'fruits_job.zip');
    await writeJobZip(cfg.jobDir, zip);
    out.info(`fruits: uploading the job to ${code.prefix}`);
    await putFile(s3, code.runJobUri, job.runJob);
    await putFile(s3, code.zipUri, zip);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  if (ctx.signal.aborted) throw new InterruptedError(`interrupted before the step was added (code left in ${code.prefix})`);
  try {
    const r = await emr.send(new AddJobFlowStepsCommand({ JobFlowId: clusterId, Steps: [step] }));
    stepId = r.StepIds?.[0] ?? '';
    if (!stepId) throw new Error('AddJobFlowSteps returned no step id');
  } catch (e) {
    throw fromAwsError(e, `AddJobFlowSteps on ${clusterId}`);
  }
  out.info(`fruits: added step ${stepId} to cluster ${clusterId} (${cluster.Name ?? ''} ${cluster.Status?.State})`);
  const base = { target: 'emr', runId: req.runId, clusterId, stepId, summaryUri: summaryUri(output, req.runId) };
  if (!req.wait) {
    out.result({ ...base, state: 'PENDING' }, `step ${stepId} submitted; follow it with: fruits status ${stepId} --follow --cluster-id ${clusterId}`);
    return { exitCode: ExitCode.ok, data: base };
  }
  return followStep({ emr, s3, clusterId, stepId, logUri, cfg, out, clock: ctx.clock, signal: ctx.signal, base, output, runId: req.runId });
}

/** The emr target (targets/registry.ts). Status, logs and follow of steps: commands/status-logs-ui.ts. */
export const emrTarget: Target = { run: (req, ctx) => runEmr(req, ctx) };
