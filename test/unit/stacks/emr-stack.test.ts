// Synthesizes the fruits-emr stack (no terraform, no network) and asserts the
// resources and security properties the issue asks for.
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import type { } from 'cdktf/lib/testing/adapters/jest.js';
import { Network } from '../../../stacks/network.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { ConfigError } from '../../../config/index.js';
import { executorMemoryDefaults, PYTHON_WORKER_MIB, YARN_NODE_SHARE } from '../../../stacks/cluster.js';
import {
forBucket,
type Json,
OPERATOR_CIDR,
policyStatements,
REPO_ROOT,
refId,
resource,
resourcesOf,
synthEmr,
tempDir,
} from '../../helpers/stacks.js';

Testing.setupJest();

const synth = synthEmr();
const cluster = resource(synth, 'aws_emr_cluster', 'cluster');
const BUCKETS = ['data', 'artifacts', 'logs'] as const;
const bucketId = (name: (typeof BUCKETS)[number]) =>
  resourcesOf(synth, 'aws_s3_bucket').find(([id]) => id.startsWith(`storage_${name}_bucket`))![0];

describe('network', () => {
  test('VPC with DNS hostnames, a public subnet routed to an internet gateway', () => {
    const vpc = resource(synth, 'aws_vpc', 'vpc');
    expect(vpc).toMatchObject({ enable_dns_hostnames: true, enable_dns_support: true });
    const subnet = resource(synth, 'aws_subnet', 'public');
    expect(subnet.map_public_ip_on_launch).toBe(true);
    expect(subnet.vpc_id).toBe('${aws_vpc.' + resourcesOf(synth, 'aws_vpc')[0]![0] + '.id}');
    const route = resource(synth, 'aws_route', 'default-route');
    expect(route.destination_cidr_block).toBe('0.0.0.0/0');
    expect(route.gateway_id).toMatch(/^\$\{aws_internet_gateway\./);
    const assoc = resource(synth, 'aws_route_table_association', 'public');
    expect(refId(assoc.subnet_id)).toContain('public-subnet');
    expect(cluster.ec2_attributes.subnet_id).toBe(assoc.subnet_id);
  });

  test('S3 gateway endpoint on the cluster route table', () => {
    const endpoint = resource(synth, 'aws_vpc_endpoint', 's3');
    expect(endpoint).toMatchObject({ service_name: 'com.amazonaws.us-east-1.s3', vpc_endpoint_type: 'Gateway' });
    expect(endpoint.route_table_ids).toEqual([resource(synth, 'aws_route_table_association', 'public').route_table_id]);
  });

  test('the Network construct alone, with the cdktf Jest matchers (work under ESM)', () => {
    const scoped = Testing.synthScope((scope) => {
      new Network(scope, 'net', {
        namePrefix: 'x',
        region: 'eu-west-3',
        operatorCidr: OPERATOR_CIDR,
        instanceTypes: ['m5.xlarge'],
      });
    });
    expect(scoped).toHaveResourceWithProperties(Vpc, { enable_dns_hostnames: true });
    expect(scoped).toHaveResourceWithProperties(VpcEndpoint, { service_name: 'com.amazonaws.eu-west-3.s3' });
  });

  test('default security group is emptied and VPC flow logs go to the logs bucket', () => {
    const defaultSg = resource(synth, 'aws_default_security_group', 'default');
    expect(defaultSg.ingress).toBeUndefined();
    expect(defaultSg.egress).toBeUndefined();
    const flow = resource(synth, 'aws_flow_log', 'flow');
    expect(flow).toMatchObject({ log_destination_type: 's3', traffic_type: 'ALL' });
    expect(flow.log_destination).toBe('${aws_s3_bucket.' + bucketId('logs') + '.arn}/vpc-flow-logs/');
  });
});

describe('security groups', () => {
  const sgs = resourcesOf(synth, 'aws_security_group');
  const ssh = resource(synth, 'aws_security_group', 'ssh');

  test('only port 22, only from the operator CIDR, only on the master', () => {
    expect(ssh.ingress).toHaveLength(1);
    expect(ssh.ingress[0]).toMatchObject({ protocol: 'tcp', from_port: 22, to_port: 22, cidr_blocks: [OPERATOR_CIDR] });
    expect(ssh.egress).toEqual([]);
    expect(refId(cluster.ec2_attributes.additional_master_security_groups)).toContain('ssh-sg');
    expect(JSON.stringify(cluster.ec2_attributes)).not.toContain('additional_slave');
  });

  test('EMR-managed master and core groups carry no Terraform rules and revoke on delete', () => {
    for (const role of ['master', 'core']) {
      const sg = resource(synth, 'aws_security_group', `emr-${role}`);
      expect(sg.ingress).toBeUndefined();
      expect(sg.revoke_rules_on_delete).toBe(true);
      expect(sg.lifecycle.ignore_changes).toEqual(['ingress', 'egress']);
    }
    expect(refId(cluster.ec2_attributes.emr_managed_master_security_group)).toContain('emr-master');
    expect(refId(cluster.ec2_attributes.emr_managed_slave_security_group)).toContain('emr-core');
  });

  test('nothing is open to 0.0.0.0/0 by default', () => {
    for (const [, sg] of sgs) {
      for (const rule of sg.ingress ?? []) expect(rule.cidr_blocks).not.toContain('0.0.0.0/0');
    }
  });

  test('with allowOpenSsh the operator may open port 22 to the world, and only port 22', () => {
    const open = synthEmr({ operatorCidr: '0.0.0.0/0', allowOpenSsh: true });
    const openSsh = resource(open, 'aws_security_group', 'ssh');
    expect(openSsh.ingress).toHaveLength(1);
    expect(openSsh.ingress[0]).toMatchObject({ from_port: 22, to_port: 22, cidr_blocks: ['0.0.0.0/0'] });
  });

  test('0.0.0.0/0 without the override never reaches synthesis', () => {
    expect(() => synthEmr({ operatorCidr: '0.0.0.0/0' })).toThrow(ConfigError);
  });
});

describe('egress of the EMR-managed groups', () => {
  const rules = resourcesOf(synth, 'aws_vpc_security_group_egress_rule').map(([, r]) => r);
  const sgRef = (role: string) =>
    '${aws_security_group.' + resourcesOf(synth, 'aws_security_group').find(([id]) => id.includes(`emr-${role}-sg`))![0] + '.id}';

  test('master and core reach HTTPS (PyPI, AWS APIs), S3 through the endpoint prefix list, and each other', () => {
    for (const role of ['master', 'core']) {
      const own = rules.filter((r) => r.security_group_id === sgRef(role));
      expect(own).toContainEqual(expect.objectContaining({ ip_protocol: 'tcp', from_port: 443, to_port: 443, cidr_ipv4: '0.0.0.0/0' }));
      const s3 = own.find((r) => r.prefix_list_id);
      expect(s3).toMatchObject({ ip_protocol: 'tcp', from_port: 443, to_port: 443 });
      expect(s3!.prefix_list_id).toMatch(/^\$\{aws_vpc_endpoint\.network_s3-endpoint_.*\.prefix_list_id\}$/);
      for (const peer of ['master', 'core']) {
        expect(own).toContainEqual(expect.objectContaining({ ip_protocol: '-1', referenced_security_group_id: sgRef(peer) }));
      }
      // Nothing else leaves the cluster: no all-traffic rule to the internet.
      expect(own.filter((r) => r.cidr_ipv4 === '0.0.0.0/0').every((r) => r.from_port === 443 && r.to_port === 443)).toBe(true);
    }
    expect(rules).toHaveLength(8);
  });

  test('operator-ssh adds no egress, and the cluster waits for the rules and the subnet route association', () => {
    const sshRef = '${aws_security_group.' + resourcesOf(synth, 'aws_security_group').find(([id]) => id.includes('ssh-sg'))![0] + '.id}';
    expect(rules.filter((r) => r.security_group_id === sshRef)).toHaveLength(0);
    const deps: string[] = cluster.depends_on;
    expect(deps.filter((d) => d.startsWith('aws_vpc_security_group_egress_rule.'))).toHaveLength(8);
    const [rta] = resourcesOf(synth, 'aws_route_table_association');
    expect(deps).toContain(`aws_route_table_association.${rta![0]}`);
  });
});

describe('node policy and S3 "directories"', () => {
  const statements = policyStatements(synth, resource(synth, 'aws_iam_role_policy', 'node-access').policy);
  const arn = (name: (typeof BUCKETS)[number]) => '${aws_s3_bucket.' + bucketId(name) + '.arn}';
  const allowed = (action: string, res: string) =>
    statements.some((s) => s.actions.includes(action) && s.resources.includes(res) && !s.condition);

  test('Hadoop probes of a "directory" (bare key, key/, EMRFS key_$folder$) are readable for inputs and outputs', () => {
    for (const [bucket, dir] of [['data', 'images'], ['data', 'results'], ['artifacts', 'code'], ['artifacts', 'models']] as const) {
      expect(allowed('s3:GetObject', `${arn(bucket)}/${dir}`)).toBe(true);
      expect(allowed('s3:GetObject', `${arn(bucket)}/${dir}/*`)).toBe(true);
      if (dir !== 'results') expect(allowed('s3:GetObject', `${arn(bucket)}/${dir}_$folder$`)).toBe(true);
    }
    // EMRFS writes results_$folder$ markers; S3A writes and deletes results/ markers.
    for (const action of ['s3:PutObject', 's3:DeleteObject']) {
      expect(allowed(action, `${arn('data')}/results_$folder$`)).toBe(true);
      expect(allowed(action, `${arn('data')}/results/*`)).toBe(true);
      expect(allowed(action, `${arn('data')}/images/*`)).toBe(false);
      expect(allowed(action, `${arn('data')}/images_$folder$`)).toBe(false);
      expect(allowed(action, `${arn('artifacts')}/bootstrap/*`)).toBe(false);
    }
  });

  test('ListBucket only on the project prefixes, in the forms S3A and EMRFS list them', () => {
    const lists = statements.filter((s) => s.actions.includes('s3:ListBucket'));
    expect(lists.map((s) => s.resources).flat().sort()).toEqual(BUCKETS.map(arn).sort());
    for (const s of lists) {
      expect(s.condition).toEqual([{ test: 'StringLike', variable: 's3:prefix', values: expect.any(Array) }]);
    }
    const prefixesOf = (b: (typeof BUCKETS)[number]) => lists.find((s) => s.resources[0] === arn(b))!.condition[0].values;
    expect(prefixesOf('data')).toEqual(['images', 'images/*', 'results', 'results/*']);
    expect(prefixesOf('logs')).toEqual(['emr-logs', 'emr-logs/*']);
    expect(prefixesOf('artifacts')).toEqual(expect.arrayContaining(['code/*', 'bootstrap/*', 'models/*', 'jupyter', 'jupyter/*']));
  });
});

describe('shipped JSON and the provider the rehearsal runs', () => {
  test('the AWS provider pin is 5.100.0, the version of the offline mirror the rehearsal applies with', () => {
    expect(synth.terraform.required_providers.aws).toEqual({ source: 'aws', version: '5.100.0' });
  });

  test('no endpoints, credentials or skip flags in the shipped provider block (those live in the test override only)', () => {
    const provider = JSON.stringify(synth.provider);
    for (const key of ['endpoints', 'access_key', 'secret_key', 'skip_', 's3_use_path_style', '127.0.0.1', 'localhost']) {
      expect(provider).not.toContain(key);
    }
  });
});

describe('key pair', () => {
  test('built from the public key only; no private key material anywhere', () => {
    const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const withKey = synthEmr({}, { publicKey });
    const keyPair = resource(withKey, 'aws_key_pair', 'operator');
    expect(keyPair).toMatchObject({ public_key: publicKey, key_name: 'fruits-operator' });
    expect(cluster.ec2_attributes.key_name).toMatch(/^\$\{aws_key_pair\./);
    expect(JSON.stringify(withKey)).not.toMatch(/PRIVATE KEY|private_key/);
  });
});

describe('S3 buckets', () => {
  test.each(BUCKETS)('%s: versioned, public access blocked, owner-enforced, not force-destroyed', (name) => {
    const id = bucketId(name);
    expect(resource(synth, 'aws_s3_bucket', `storage_${name}_bucket`).force_destroy).toBe(false);
    expect(forBucket(synth, 'aws_s3_bucket_versioning', id)[0]!.versioning_configuration.status).toBe('Enabled');
    expect(forBucket(synth, 'aws_s3_bucket_public_access_block', id)[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(forBucket(synth, 'aws_s3_bucket_ownership_controls', id)[0]!.rule.object_ownership).toBe('BucketOwnerEnforced');
  });

  test.each(BUCKETS)('%s: TLS-only bucket policy', (name) => {
    const id = bucketId(name);
    const [policy] = forBucket(synth, 'aws_s3_bucket_policy', id);
    const deny = policyStatements(synth, policy!.policy).find((s) => s.sid === 'DenyInsecureTransport');
    expect(deny).toMatchObject({
      effect: 'Deny',
      actions: ['s3:*'],
      condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
    });
    expect(deny!.resources).toEqual([`\${aws_s3_bucket.${id}.arn}`, `\${aws_s3_bucket.${id}.arn}/*`]);
    expect(policy!.depends_on.some((d: string) => d.startsWith('aws_s3_bucket_public_access_block.'))).toBe(true);
  });

  test('data and artifacts use SSE-KMS with the project key; logs use SSE-S3', () => {
    const keyArn = '${aws_kms_key.' + resourcesOf(synth, 'aws_kms_key')[0]![0] + '.arn}';
    for (const name of ['data', 'artifacts'] as const) {
      const [sse] = forBucket(synth, 'aws_s3_bucket_server_side_encryption_configuration', bucketId(name));
      expect(sse!.rule[0]).toEqual({
        apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: keyArn },
        bucket_key_enabled: true,
      });
    }
    const [logsSse] = forBucket(synth, 'aws_s3_bucket_server_side_encryption_configuration', bucketId('logs'));
    expect(logsSse!.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe('AES256');
  });

  test('logs expire after logRetentionDays; noncurrent versions expire everywhere', () => {
    const custom = synthEmr({ logRetentionDays: 14 });
    const logsId = resourcesOf(custom, 'aws_s3_bucket').find(([id]) => id.startsWith('storage_logs_bucket'))![0];
    const [lifecycle] = forBucket(custom, 'aws_s3_bucket_lifecycle_configuration', logsId);
    const expiring = lifecycle!.rule.filter((r: Json) => r.expiration?.[0]?.days !== undefined);
    expect(expiring.map((r: Json) => [r.filter[0].prefix, r.expiration[0].days, r.status])).toEqual([
      ['emr-logs/', 14, 'Enabled'],
      ['s3-access-logs/', 14, 'Enabled'],
      ['vpc-flow-logs/', 14, 'Enabled'],
    ]);
    for (const name of BUCKETS) {
      const [lc] = forBucket(synth, 'aws_s3_bucket_lifecycle_configuration', bucketId(name));
      expect(lc!.rule.some((r: Json) => r.noncurrent_version_expiration?.[0]?.noncurrent_days > 0)).toBe(true);
      // Data buckets never get an expiration rule on current objects.
      if (name !== 'logs') expect(lc!.rule.some((r: Json) => r.expiration?.[0]?.days !== undefined)).toBe(false);
    }
  });

  test('data and artifacts buckets send access logs to the logs bucket', () => {
    for (const name of ['data', 'artifacts'] as const) {
      const [logging] = forBucket(synth, 'aws_s3_bucket_logging', bucketId(name));
      expect(logging!.target_bucket).toBe('${aws_s3_bucket.' + bucketId('logs') + '.bucket}');
      expect(logging!.target_prefix).toBe(`s3-access-logs/${name}/`);
    }
  });

  test('forceDestroyBuckets is opt-in', () => {
    const destroyable = synthEmr({ forceDestroyBuckets: true });
    for (const [, b] of resourcesOf(destroyable, 'aws_s3_bucket')) expect(b.force_destroy).toBe(true);
  });
});

describe('IAM', () => {
  const json = JSON.stringify(synth);
  const serviceRole = resource(synth, 'aws_iam_role', 'service-role');
  const nodeRole = resource(synth, 'aws_iam_role', 'instance-role');
  const nodeRoleArn = '${aws_iam_role.' + resourcesOf(synth, 'aws_iam_role').find(([id]) => id.includes('instance-role'))![0] + '.arn}';

  test('no broad managed policies', () => {
    expect(json).not.toMatch(/AmazonS3FullAccess|AmazonElasticMapReduceforEC2Role|AmazonElasticMapReduceRole|AdministratorAccess/);
    const attachments = resourcesOf(synth, 'aws_iam_role_policy_attachment').map(([, a]) => a.policy_arn);
    expect(attachments).toEqual(['arn:${data.aws_partition.partition.partition}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2']);
  });

  test('service role: trusted by EMR for this account only, passes only the node role to EC2', () => {
    const trust = policyStatements(synth, serviceRole.assume_role_policy)[0]!;
    expect(trust.principals).toEqual([{ type: 'Service', identifiers: ['elasticmapreduce.amazonaws.com'] }]);
    expect(trust.condition[0].variable).toBe('aws:SourceAccount');
    const pass = resource(synth, 'aws_iam_role_policy', 'pass-role');
    const [statement] = policyStatements(synth, pass.policy);
    expect(statement).toMatchObject({ actions: ['iam:PassRole'], resources: [nodeRoleArn] });
    expect(statement!.condition[0]).toMatchObject({ variable: 'iam:PassedToService', values: ['ec2.amazonaws.com*'] });
  });

  test('node role: trusted by EC2; S3 access limited to project bucket ARNs and prefixes', () => {
    expect(policyStatements(synth, nodeRole.assume_role_policy)[0]!.principals[0].identifiers).toEqual(['ec2.amazonaws.com']);
    const policy = resource(synth, 'aws_iam_role_policy', 'node-access');
    const statements = policyStatements(synth, policy.policy);
    const arn = (name: (typeof BUCKETS)[number]) => '${aws_s3_bucket.' + bucketId(name) + '.arn}';
    for (const s of statements) {
      for (const r of s.resources) {
        expect(r).not.toBe('*');
        if (s.actions.some((a: string) => a.startsWith('s3:'))) {
          expect(BUCKETS.some((b) => r === arn(b) || r.startsWith(`${arn(b)}/`))).toBe(true);
        }
      }
    }
    const writable = statements
      .filter((s) => s.actions.includes('s3:PutObject'))
      .flatMap((s) => s.resources)
      .sort();
    expect(writable).toEqual(
      [
        `${arn('data')}/results/*`,
        `${arn('data')}/results_$folder$`,
        `${arn('artifacts')}/jupyter/*`,
        `${arn('artifacts')}/jupyter_$folder$`,
        `${arn('logs')}/emr-logs/*`,
        `${arn('logs')}/emr-logs_$folder$`,
        `${arn('logs')}/emr-logs`,
      ].sort(),
    );
    const readable = statements.filter((s) => s.actions.includes('s3:GetObject')).flatMap((s) => s.resources);
    expect(readable).toEqual(
      expect.arrayContaining([
        `${arn('data')}/images/*`,
        `${arn('artifacts')}/code/*`,
        `${arn('artifacts')}/bootstrap/*`,
        // --weights s3://<artifacts-bucket>/models/<file>.h5 is read on the driver node
        `${arn('artifacts')}/models/*`,
      ]),
    );
  });

  test('node role: describes only clusters tagged with this project (default tag Project=<namePrefix>)', () => {
    const check = (s: Json, prefix: string) => {
      const statement = policyStatements(s, resource(s, 'aws_iam_role_policy', 'node-access').policy).find(
        (st) => st.sid === 'DescribeOwnCluster',
      )!;
      expect(statement.actions.every((a: string) => /^elasticmapreduce:(Describe|List)/.test(a))).toBe(true);
      expect(statement.resources).toEqual([
        'arn:${data.aws_partition.partition.partition}:elasticmapreduce:us-east-1:${data.aws_caller_identity.caller.account_id}:cluster/*',
      ]);
      expect(statement.condition).toEqual([
        { test: 'StringEquals', variable: 'aws:ResourceTag/Project', values: [prefix] },
      ]);
      // The tag the condition names is the one the provider actually puts on the cluster.
      expect(s.provider.aws[0].default_tags[0].tags.Project).toBe(prefix);
    };
    check(synth, 'fruits');
    check(synthEmr({ namePrefix: 'team-b' }), 'team-b');
  });

  test('instance profile wraps the node role and the cluster uses both roles', () => {
    const profile = resource(synth, 'aws_iam_instance_profile', 'instance-profile');
    expect(profile.role).toBe(nodeRoleArn.replace('.arn}', '.name}'));
    expect(cluster.ec2_attributes.instance_profile).toMatch(/^\$\{aws_iam_instance_profile\..*\.arn\}$/);
    expect(cluster.service_role).toMatch(/^\$\{aws_iam_role\.iam_service-role_.*\.arn\}$/);
  });
});

describe('KMS and the EMR security configuration', () => {
  const key = resource(synth, 'aws_kms_key', 'key');
  test('key rotates and its policy lets the node and service roles use it', () => {
    expect(key.enable_key_rotation).toBe(true);
    const statements = policyStatements(synth, key.policy);
    const nodes = statements.find((s) => s.sid === 'EmrNodesUseKey')!;
    expect(nodes.principals[0].identifiers[0]).toMatch(/aws_iam_role\.iam_instance-role_.*\.arn/);
    expect(nodes.actions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
    const grants = statements.find((s) => s.sid === 'EmrServiceGrantsForEbs')!;
    expect(grants.condition[0]).toMatchObject({ variable: 'kms:GrantIsForAWSResource', values: ['true'] });
  });

  test('IMDSv2, at-rest encryption for EMRFS and local disks; in-transit documented off', () => {
    const securityConfiguration = resource(synth, 'aws_emr_security_configuration', 'security');
    expect(cluster.security_configuration).toMatch(/^\$\{aws_emr_security_configuration\..*\.name\}$/);
    expect(JSON.parse(securityConfiguration.configuration)).toMatchSnapshot();
  });
});

describe('EMR cluster', () => {
  const fleetTypes = (fleet: Json) => fleet.instance_type_configs.map((c: Json) => c.instance_type);
  test('defaults: EMR 7, Hadoop + Spark, fleets of 1 master + 2 core m5.xlarge on-demand, idle timeout 20 min, logs to S3', () => {
    expect(cluster.release_label).toMatch(/^emr-7\.\d+\.\d+$/);
    expect(cluster.applications).toEqual(['Hadoop', 'Spark']);
    expect(cluster.master_instance_group).toBeUndefined();
    expect(cluster.master_instance_fleet).toMatchObject({ target_on_demand_capacity: 1 });
    expect(fleetTypes(cluster.master_instance_fleet)).toEqual(['m5.xlarge']);
    expect(cluster.core_instance_fleet).toMatchObject({ target_on_demand_capacity: 2 });
    expect(cluster.core_instance_fleet.target_spot_capacity).toBeUndefined();
    expect(fleetTypes(cluster.core_instance_fleet)).toEqual(['m5.xlarge']);
    expect(cluster.auto_termination_policy).toEqual({ idle_timeout: 1200 });
    expect(cluster.log_uri).toBe('s3://${aws_s3_bucket.' + bucketId('logs') + '.bucket}/emr-logs/');
    expect(cluster.termination_protection).toBe(false);
  });

  test('types, counts, release label and idle timeout follow the config', () => {
    const customSynth = synthEmr({
      masterInstanceType: 'm5.2xlarge',
      coreInstanceType: 'r5.xlarge',
      coreInstanceCount: 5,
      releaseLabel: 'emr-7.5.0',
      idleTimeoutMinutes: 20,
    });
    // The subnet's AZ must offer both instance types.
    const offered = Object.values(customSynth.data.aws_ec2_instance_type_offerings as Record<string, Json>).map(
      (o) => o.filter[0].values[0],
    );
    expect(offered.sort()).toEqual(['m5.2xlarge', 'r5.xlarge']);
    const az = resource(customSynth, 'aws_subnet', 'public').availability_zone as string;
    expect(az).toMatch(/setintersection\(data\.aws_availability_zones\..*offerings-m52xlarge.*offerings-r5xlarge/);
    const custom = resource(
      synthEmr({
        masterInstanceType: 'm5.2xlarge',
        coreInstanceType: 'r5.xlarge',
        coreInstanceCount: 5,
        releaseLabel: 'emr-7.5.0',
        idleTimeoutMinutes: 20,
      }),
      'aws_emr_cluster',
      'cluster',
    );
    expect(fleetTypes(custom.master_instance_fleet)).toEqual(['m5.2xlarge']);
    expect(fleetTypes(custom.core_instance_fleet)).toEqual(['r5.xlarge']);
    expect(custom.core_instance_fleet.target_on_demand_capacity).toBe(5);
    expect(custom.release_label).toBe('emr-7.5.0');
    expect(custom.auto_termination_policy.idle_timeout).toBe(1200);
  });

  test('configurations point PySpark at the bootstrap venv', () => {
    expect(JSON.parse(cluster.configurations_json)).toMatchSnapshot();
  });

  test('YARN memory: on m5.xlarge the executor container fits YARN and holds one TensorFlow worker per vCPU', () => {
    const defaults = JSON.parse(cluster.configurations_json).find((c: Json) => c.Classification === 'spark-defaults').Properties;
    expect(defaults).toMatchObject({
      'spark.executor.cores': '4',
      'spark.task.cpus': '1',
      'spark.executor.memory': '6144m',
      'spark.executor.memoryOverhead': '5120m',
    });
    const mib = (v: string) => Number(v.replace(/m$/, ''));
    // Heap + overhead inside m5.xlarge's YARN share (12288 MiB), Python workers inside the overhead.
    expect(mib(defaults['spark.executor.memory']) + mib(defaults['spark.executor.memoryOverhead'])).toBeLessThanOrEqual(12288);
    expect(mib(defaults['spark.executor.memoryOverhead'])).toBeGreaterThanOrEqual(4 * PYTHON_WORKER_MIB);
    // An address-space limit would break TensorFlow (see executorMemoryDefaults).
    expect(defaults['spark.executor.pyspark.memory']).toBeUndefined();
  });

  test('YARN memory follows the core type; unknown types keep EMR defaults; small shares get fewer cores', () => {
    const big = executorMemoryDefaults('m5.2xlarge');
    expect(big['spark.executor.cores']).toBe('8');
    expect(Number(big['spark.executor.memory']!.slice(0, -1)) + Number(big['spark.executor.memoryOverhead']!.slice(0, -1))).toBeLessThanOrEqual(24576);
    expect(executorMemoryDefaults('c5.9xlarge')).toEqual({});
    for (const [type, node] of Object.entries(YARN_NODE_SHARE)) {
      const d = executorMemoryDefaults(type);
      expect(Number(d['spark.executor.cores'])).toBeLessThanOrEqual(node.vcpu);
      expect(Number(d['spark.executor.memory']!.slice(0, -1))).toBeGreaterThanOrEqual(2048);
    }
  });

  test('JupyterHub adds Livy and persists notebooks to the artifacts bucket', () => {
    const withHub = synthEmr({ jupyterHub: true });
    const hubCluster = resource(withHub, 'aws_emr_cluster', 'cluster');
    expect(hubCluster.applications).toEqual(['Hadoop', 'Spark', 'Livy', 'JupyterHub']);
    const configurations = JSON.parse(hubCluster.configurations_json);
    // JupyterHub's container needs one more IMDS hop.
    const hubSecurity = JSON.parse(resource(withHub, 'aws_emr_security_configuration', 'security').configuration);
    expect(hubSecurity.InstanceMetadataServiceConfiguration.HttpPutResponseHopLimit).toBe(2);
    expect(configurations.find((c: Json) => c.Classification === 'jupyter-s3-conf')).toMatchSnapshot();
    expect(resource(withHub, 'aws_emr_cluster', 'cluster').tags).toBeDefined();
  });

  test('tags: provider default tags everywhere, EMR managed-policy tag on the cluster', () => {
    const tags = synth.provider.aws[0].default_tags[0].tags;
    expect(tags).toMatchObject({ Project: 'fruits', Stack: 'fruits-emr', 'for-use-with-amazon-emr-managed-policies': 'true' });
    expect(cluster.tags['for-use-with-amazon-emr-managed-policies']).toBe('true');
  });
});

describe('bootstrap action and uploaded files', () => {
  const objects = resourcesOf(synth, 'aws_s3_object').map(([, o]) => o);
  const byKey = (key: string) => objects.find((o) => o.key === key)!;
  const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');
  const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  const scriptPath = join(REPO_ROOT, 'bootstrap/emr-install-python-deps.sh');
  const installerPath = join(REPO_ROOT, 'bootstrap/install-python-requirements.sh');
  const requirementsPath = join(REPO_ROOT, 'requirements.txt');

  test('script, the shared Python installer and requirements.txt are uploaded with content hashes tracked', () => {
    const script = byKey('bootstrap/emr-install-python-deps.sh');
    expect(byKey('bootstrap/install-python-requirements.sh').source_hash).toBe(md5(installerPath));
    const requirements = byKey('bootstrap/requirements.txt');
    expect(script.bucket).toBe('${aws_s3_bucket.' + bucketId('artifacts') + '.bucket}');
    expect(script.source_hash).toBe(md5(scriptPath));
    expect(requirements.source_hash).toBe(md5(requirementsPath));
    expect(script.source).toMatch(/^assets\/.+\/emr-install-python-deps\.sh$/);
  });

  test('one action on every node, pointing at the uploaded objects', () => {
    expect(cluster.bootstrap_action).toHaveLength(1);
    const [action] = cluster.bootstrap_action;
    const artifacts = '${aws_s3_bucket.' + bucketId('artifacts') + '.bucket}';
    expect(action.path).toBe(`s3://${artifacts}/bootstrap/emr-install-python-deps.sh`);
    expect(action.args).toEqual([
      '--requirements',
      `s3://${artifacts}/bootstrap/requirements.txt`,
      '--requirements-sha256',
      sha256(requirementsPath),
      '--installer',
      `s3://${artifacts}/bootstrap/install-python-requirements.sh`,
      '--installer-sha256',
      sha256(installerPath),
      '--venv',
      '/opt/fruits-venv',
    ]);
    expect(cluster.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_s3_object\.bootstrap_install-script/)]));
  });

  test('changing the script or the pins changes the hashes, so deploy re-uploads and replaces the cluster', () => {
    const root = tempDir();
    mkdirSync(join(root, 'bootstrap'));
    cpSync(scriptPath, join(root, 'bootstrap/emr-install-python-deps.sh'));
    cpSync(installerPath, join(root, 'bootstrap/install-python-requirements.sh'));
    writeFileSync(join(root, 'requirements.txt'), `${readFileSync(requirementsPath, 'utf8')}\n# changed\n`);
    const changed = synthEmr({}, { repoRoot: root });
    const changedCluster = resource(changed, 'aws_emr_cluster', 'cluster');
    const changedObjects = resourcesOf(changed, 'aws_s3_object').map(([, o]) => o);
    expect(changedObjects.find((o) => o.key === 'bootstrap/requirements.txt')!.source_hash).not.toBe(
      byKey('bootstrap/requirements.txt').source_hash,
    );
    expect(changedCluster.bootstrap_action[0].args[3]).not.toBe(cluster.bootstrap_action[0].args[3]);
    expect(changedCluster.bootstrap_action[0].name).toBe(cluster.bootstrap_action[0].name); // same script

    writeFileSync(join(root, 'bootstrap/emr-install-python-deps.sh'), `${readFileSync(scriptPath, 'utf8')}\n# v2\n`);
    const changedScript = resource(synthEmr({}, { repoRoot: root }), 'aws_emr_cluster', 'cluster');
    expect(changedScript.bootstrap_action[0].name).not.toBe(cluster.bootstrap_action[0].name);

    writeFileSync(join(root, 'bootstrap/install-python-requirements.sh'), `${readFileSync(installerPath, 'utf8')}\n# v2\n`);
    const changedInstaller = resource(synthEmr({}, { repoRoot: root }), 'aws_emr_cluster', 'cluster');
    expect(changedInstaller.bootstrap_action[0].name).not.toBe(changedScript.bootstrap_action[0].name);
    expect(changedInstaller.bootstrap_action[0].args[7]).not.toBe(changedScript.bootstrap_action[0].args[7]);
    rmSync(root, { recursive: true, force: true });
  });

  test('a missing bootstrap script is a ConfigError, not a broken deploy', () => {
    const root = tempDir();
    writeFileSync(join(root, 'requirements.txt'), 'numpy==1.26.4\n');
    expect(() => synthEmr({}, { repoRoot: root })).toThrow(/emr-install-python-deps\.sh is missing/);
  });
});

describe('outputs', () => {
  test('exactly the ids in the contract', () => {
    expect(Object.keys(synth.output).sort()).toEqual(
      [
        'region',
        'compute',
        'cluster_id',
        'master_public_dns',
        'input_uri',
        'results_uri',
        'log_uri',
        'code_uri',
        'notebooks_uri',
        'weights_uri',
        'ssh_tunnel_command',
        'data_bucket',
        'logs_bucket',
        'artifacts_bucket',
      ].sort(),
    );
    expect(synth.output.log_uri.value).toBe(cluster.log_uri);
    expect(synth.output.input_uri.value).toBe('s3://${aws_s3_bucket.' + bucketId('data') + '.bucket}/images/');
    expect(synth.output.results_uri.value).toBe('s3://${aws_s3_bucket.' + bucketId('data') + '.bucket}/results/');
    expect(synth.output.code_uri.value).toBe('s3://${aws_s3_bucket.' + bucketId('artifacts') + '.bucket}/code/');
    expect(synth.output.weights_uri.value).toBe('s3://${aws_s3_bucket.' + bucketId('artifacts') + '.bucket}/models/');
  });

  test('the SSH tunnel command uses the matching private key path and the master DNS', () => {
    const dns = '${aws_emr_cluster.' + resourcesOf(synth, 'aws_emr_cluster')[0]![0] + '.master_public_dns}';
    expect(synth.output.ssh_tunnel_command.value).toBe(
      `ssh -i /keys/operator -N -L 8088:localhost:8088 -L 18080:localhost:18080 hadoop@${dns}`,
    );
    const hub = synthEmr({ jupyterHub: true });
    expect(hub.output.ssh_tunnel_command.value).toContain('-L 9443:localhost:9443');
  });
});

