// stacks/cluster.ts with jupyterHub on, by synthesis: notebooks persist to the artifacts bucket's
// jupyter/ prefix (the one prefix the node policy lets nodes write there), the PySpark kernel's
// Livy driver stays on the master, and the shipped default password is locked at creation by a
// step that carries no secret.
import { Testing } from 'cdktf';
import type { } from 'cdktf/lib/testing/adapters/jest.js';
import { LOCK_JUPYTERHUB_PASSWORD_SCRIPT } from '../../../stacks/cluster.js';
import { PREFIXES } from '../../../stacks/names.js';
import { type Json, policyStatements, resource, resourcesOf, synthEmr } from '../../helpers/stacks.js';

Testing.setupJest();

const hub = synthEmr({ jupyterHub: true });
const plain = synthEmr();
const cluster = resource(hub, 'aws_emr_cluster', 'cluster');
const configurations = JSON.parse(cluster.configurations_json) as Json[];
const artifactsId = resourcesOf(hub, 'aws_s3_bucket').find(([id]) => id.startsWith('storage_artifacts_bucket'))![0];

describe('JupyterHub on EMR', () => {
  test('notebooks persist to the artifacts bucket, under jupyter/ (the notebooks_uri output)', () => {
    const conf = configurations.find((c) => c.Classification === 'jupyter-s3-conf')!;
    expect(conf.Properties).toEqual({ 's3.persistence.enabled': 'true', 's3.persistence.bucket': '${aws_s3_bucket.' + artifactsId + '.bucket}' });
    // EMR writes under <bucket>/jupyter/<user>/: the prefix the runner pushes to and the policy allows.
    expect(PREFIXES.notebooks).toBe('jupyter/');
    expect(hub.output.notebooks_uri.value).toBe('s3://${aws_s3_bucket.' + artifactsId + '.bucket}/jupyter/');
  });

  test('the node policy lets nodes write in the artifacts bucket under jupyter/ only', () => {
    const statements = policyStatements(hub, resource(hub, 'aws_iam_role_policy', 'node-access').policy);
    const artifactsArn = '${aws_s3_bucket.' + artifactsId + '.arn}';
    const writes = statements.filter((s) => s.actions.includes('s3:PutObject') || s.actions.includes('s3:DeleteObject'))
      .flatMap((s) => s.resources as string[]).filter((r) => r.startsWith(artifactsArn));
    expect(writes.sort()).toEqual([`${artifactsArn}/jupyter/*`, `${artifactsArn}/jupyter_$folder$`]);
  });

  test('the PySpark kernel\'s Livy driver runs in client mode, on the master', () => {
    expect(configurations.find((c) => c.Classification === 'livy-conf')).toEqual({ Classification: 'livy-conf', Properties: { 'livy.spark.deploy-mode': 'client' } });
  });

  test('a creation step locks jovyan\'s shipped password; it holds no password and stops the cluster if the lock fails', () => {
    expect(cluster.step).toMatchObject([{
      name: 'lock-jupyterhub-default-password',
      action_on_failure: 'TERMINATE_CLUSTER',
      hadoop_jar_step: [{ jar: 'command-runner.jar', args: ['bash', '-c', LOCK_JUPYTERHUB_PASSWORD_SCRIPT] }],
    }]);
    expect(LOCK_JUPYTERHUB_PASSWORD_SCRIPT).toContain('passwd -l jovyan');
    expect(LOCK_JUPYTERHUB_PASSWORD_SCRIPT).toMatch(/passwd -S jovyan .*"L"/);
    // No secret in the synthesized stack (and so in Terraform state): no chpasswd, no password.
    const text = JSON.stringify(hub);
    expect(text).not.toMatch(/chpasswd|jovyan:|ssm:GetParameter/);
    expect(cluster.lifecycle.ignore_changes).toContain('step');
  });

  test('without JupyterHub: no Livy, no persistence, no step', () => {
    const c = resource(plain, 'aws_emr_cluster', 'cluster');
    expect(c.applications).toEqual(['Hadoop', 'Spark']);
    expect(c.step).toBeUndefined();
    expect(JSON.parse(c.configurations_json).map((x: Json) => x.Classification)).toEqual(['spark-env', 'spark-defaults']);
  });
});
