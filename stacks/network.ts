// Network: one VPC, one public subnet for the cluster (EMR clusters live in a single
// AZ), an internet gateway for package installs and SSH, and an S3 gateway endpoint so
// S3 traffic stays on the AWS network and costs nothing (no NAT gateway needed).
import { Construct } from 'constructs';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones/index.js';
import { DataAwsEc2InstanceTypeOfferings } from '@cdktf/provider-aws/lib/data-aws-ec2-instance-type-offerings/index.js';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group/index.js';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import { Fn, Op, type ITerraformDependable } from 'cdktf';

export interface NetworkProps {
  namePrefix: string;
  region: string;
  /** The only source allowed on port 22 of the master. */
  operatorCidr: string;
  /** Instance types the cluster uses: the subnet goes in an AZ that offers all of them. */
  instanceTypes: string[];
  vpcCidr?: string;
  subnetCidr?: string;
}

export class Network extends Construct {
  readonly vpc: Vpc;
  readonly subnet: Subnet;
  readonly routeTable: RouteTable;
  readonly internetRoute: Route;
  /** The subnet's route table association: without it nodes have no route out at launch. */
  readonly subnetRoutes: RouteTableAssociation;
  /** Outbound rules of the EMR-managed groups; the cluster must not launch before them. */
  readonly egressRules: VpcSecurityGroupEgressRule[] = [];
  readonly s3Endpoint: VpcEndpoint;
  /** EMR-managed groups: EMR itself writes their rules, Terraform only owns the groups. */
  readonly masterSecurityGroup: SecurityGroup;
  readonly coreSecurityGroup: SecurityGroup;
  /** Additional master group: SSH from the operator's CIDR, nothing else. */
  readonly sshSecurityGroup: SecurityGroup;
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.namePrefix = props.namePrefix;
    const name = (suffix: string) => `${props.namePrefix}-${suffix}`;

    // EMR requires DNS support and DNS hostnames in the VPC.
    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.vpcCidr ?? '10.42.0.0/16',
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name('vpc') },
    });

    // Lock down the VPC's default security group so nothing lands in it by accident.
    new DefaultSecurityGroup(this, 'default-sg', {
      vpcId: this.vpc.id,
      tags: { Name: name('default-deny-all') },
    });

    // Not every AZ offers every instance type (e.g. us-east-1e): pick the first regular
    // (non-opt-in) zone that offers all the cluster's types, and fail the plan clearly if none does.
    const zones = new DataAwsAvailabilityZones(this, 'zones', {
      state: 'available',
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });
    const offerings = [...new Set(props.instanceTypes)].map(
      (type) =>
        new DataAwsEc2InstanceTypeOfferings(this, `offerings-${type}`, {
          locationType: 'availability-zone',
          filter: [{ name: 'instance-type', values: [type] }],
        }),
    );
    const usableZones = Fn.sort(Fn.setintersection(zones.names, offerings.map((o) => o.locations)));

    this.subnet = new Subnet(this, 'public-subnet', {
      vpcId: this.vpc.id,
      cidrBlock: props.subnetCidr ?? '10.42.0.0/20',
      // concat: with no usable zone the precondition below reports it, not element().
      availabilityZone: Fn.element(Fn.concat([usableZones, ['no-zone-offers-the-instance-types']]), 0),
      // EMR nodes in a public subnet need public IPs to reach the internet (dnf, PyPI)
      // without a NAT gateway; inbound is still closed by the security groups.
      mapPublicIpOnLaunch: true,
      tags: { Name: name('public') },
      lifecycle: {
        precondition: [
          {
            condition: Op.gte(Fn.lengthOf(usableZones), 1),
            errorMessage: `No availability zone in ${props.region} offers all of ${[...new Set(props.instanceTypes)].join(', ')}; choose other instance types`,
          },
        ],
      },
    });

    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: name('igw') } });
    this.routeTable = new RouteTable(this, 'public-routes', { vpcId: this.vpc.id, tags: { Name: name('public') } });
    this.internetRoute = new Route(this, 'default-route', {
      routeTableId: this.routeTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    this.subnetRoutes = new RouteTableAssociation(this, 'public-subnet-routes', {
      subnetId: this.subnet.id,
      routeTableId: this.routeTable.id,
    });

    // Gateway endpoints are free and add a prefix-list route to the route table, so
    // S3 reads/writes never cross the internet gateway. The default (full) endpoint
    // policy is kept on purpose: nodes also fetch Amazon Linux and EMR repositories
    // from AWS-owned buckets; access to our buckets is limited by IAM and bucket policies.
    this.s3Endpoint = new VpcEndpoint(this, 's3-endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [this.routeTable.id],
      tags: { Name: name('s3') },
    });

    const emrManagedGroup = (id: string, role: string) =>
      new SecurityGroup(this, id, {
        name: name(`emr-${role}`),
        description: `EMR-managed ${role} group for ${props.namePrefix}; EMR maintains its rules`,
        vpcId: this.vpc.id,
        // EMR adds cross-references between master and core groups; revoke them on
        // delete or `cdktf destroy` deadlocks on the mutual references.
        revokeRulesOnDelete: true,
        tags: { Name: name(`emr-${role}`) },
        lifecycle: { ignoreChanges: ['ingress', 'egress'] },
      });
    this.masterSecurityGroup = emrManagedGroup('emr-master-sg', 'master');
    this.coreSecurityGroup = emrManagedGroup('emr-core-sg', 'core');
    this.allowClusterEgress();

    this.sshSecurityGroup = new SecurityGroup(this, 'ssh-sg', {
      name: name('operator-ssh'),
      description: `SSH to the ${props.namePrefix} EMR master from the operator only`,
      vpcId: this.vpc.id,
      ingress: [
        {
          description: 'SSH from the operator CIDR (tunnel to YARN, Spark history, JupyterHub)',
          protocol: 'tcp',
          fromPort: 22,
          toPort: 22,
          cidrBlocks: [props.operatorCidr],
        },
      ],
      // Outbound traffic is granted by the EMR-managed groups; this one adds nothing.
      egress: [],
      revokeRulesOnDelete: true,
      tags: { Name: name('operator-ssh') },
    });
  }

  /**
   * Outbound rules of the EMR-managed groups. Terraform removes AWS's default allow-all
   * egress from groups it creates, and EMR only adds the *inbound* rules it needs, so
   * without these the nodes could reach neither S3 (bootstrap script, logs, data) nor
   * PyPI, and the bootstrap action would fail. Separate rule resources, because EMR owns
   * the groups' inline rules (ignoreChanges above). operator-ssh adds no egress.
   */
  private allowClusterEgress(): void {
    const groups = { master: this.masterSecurityGroup, core: this.coreSecurityGroup };
    for (const [role, group] of Object.entries(groups)) {
      const rule = (id: string, props: Omit<ConstructorParameters<typeof VpcSecurityGroupEgressRule>[2], 'securityGroupId'>) =>
        this.egressRules.push(new VpcSecurityGroupEgressRule(this, `emr-${role}-egress-${id}`, { securityGroupId: group.id, ...props }));
      rule('https', {
        description: 'HTTPS out: PyPI for the bootstrap venv, AWS APIs (EMR, KMS, STS), Amazon Linux repos',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
      });
      rule('s3', {
        description: 'S3 through the VPC gateway endpoint (its prefix list)',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        prefixListId: this.s3Endpoint.prefixListId,
      });
      // Inside the cluster everything flows: YARN, HDFS, Spark shuffle and block manager
      // use ephemeral ports in both directions.
      for (const [peerRole, peer] of Object.entries(groups)) {
        rule(`to-${peerRole}`, {
          description: `All traffic to the EMR ${peerRole} nodes`,
          ipProtocol: '-1',
          referencedSecurityGroupId: peer.id,
        });
      }
    }
  }

  /**
   * VPC flow logs (all traffic) delivered straight to S3: an audit trail of who reached
   * the master's SSH port and where nodes connected, at S3 prices (no CloudWatch Logs).
   * The bucket policy must already allow delivery.logs.amazonaws.com (see Storage).
   */
  logFlowsTo(destinationArn: string, dependsOn: ITerraformDependable[]): FlowLog {
    return new FlowLog(this, 'flow-logs', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 's3',
      logDestination: destinationArn,
      maxAggregationInterval: 600,
      dependsOn,
      tags: { Name: `${this.namePrefix}-flow-logs` },
    });
  }
}
