// List prices the cost estimate uses, in one place. Verify before quoting: AWS changes them,
// and other regions differ (this table is us-east-1).
//
// Source: AWS price lists, us-east-1, Linux on-demand, as published in 2025; this table was
// written on 2026-12-02 in a workplace without internet, so they were NOT re-checked then:
//   EC2:  https://aws.amazon.com/ec2/pricing/on-demand/
//   EMR:  https://aws.amazon.com/emr/pricing/ (the EMR fee is per instance-hour, on top of EC2,
//         the same for Spot and on-demand instances)
//   EBS:  https://aws.amazon.com/ebs/pricing/ (gp3, per GB-month)
//   IPv4: https://aws.amazon.com/vpc/pricing/ (public IPv4 address, per hour)
// Spot prices move by the hour and the zone and have no list price: the estimate assumes
// SPOT_FRACTION of the on-demand EC2 price (the Spot Instance Advisor's typical saving for
// m5/m6 xlarge types was 60-70 %), which is an assumption, not a quote.

export const PRICES_SOURCE = 'AWS us-east-1 list prices as of 2025, table of 2026-12-02 in runner/cost/prices.ts: verify before quoting';
export const PRICE_REGION = 'us-east-1';

/** USD per instance-hour: EC2 on-demand and the EMR fee. */
export const INSTANCE_PRICES: Record<string, { ec2: number; emr: number }> = {
  'm5.xlarge': { ec2: 0.192, emr: 0.048 },
  'm5a.xlarge': { ec2: 0.172, emr: 0.043 },
  'm6i.xlarge': { ec2: 0.192, emr: 0.048 },
  'm6a.xlarge': { ec2: 0.1728, emr: 0.0432 },
  'm5.2xlarge': { ec2: 0.384, emr: 0.096 },
  'm6i.2xlarge': { ec2: 0.384, emr: 0.096 },
  'm5.4xlarge': { ec2: 0.768, emr: 0.192 },
  'r5.xlarge': { ec2: 0.252, emr: 0.063 },
  'r5.2xlarge': { ec2: 0.504, emr: 0.126 },
};

/** A public IPv4 address (every node in the public subnet has one), USD per hour. https://aws.amazon.com/vpc/pricing/ */
export const PUBLIC_IPV4_HOUR = 0.005;

/** gp3 storage, USD per GB-month (730 hours). */
export const GP3_GB_MONTH = 0.08;
export const HOURS_PER_MONTH = 730;

/** Assumed Spot price as a fraction of the on-demand EC2 price (see above). */
export const SPOT_FRACTION = 0.4;

/** Time assumptions of a run, in minutes (measured on no real account yet: see README "Compute modes"). */
export const RUN_TIMES = {
  /** Provisioning + bootstrap (the venv with TensorFlow) until the first step runs. */
  bootMinutes: 12,
  /** The job itself for 2,000-90,000 photos on 1 master + 2 core xlarge nodes. */
  jobMinutes: 10,
  /** Termination after the last step (billing stops when instances are gone). */
  shutdownMinutes: 2,
} as const;

/**
 * EMR Serverless, x86_64, USD per vCPU-hour and per GB-hour (https://aws.amazon.com/emr/pricing/,
 * "Amazon EMR Serverless", us-east-1; 20 GB of disk per worker are included). Billed per second
 * from a worker's start to its end, one minute minimum.
 */
export const SERVERLESS_PRICES = { vcpuHour: 0.052624, gbHour: 0.0057785 } as const;
/** Cold start of a job run until the job runs (workers + image pull), assumed, not measured. */
export const SERVERLESS_START_MINUTES = 2;
