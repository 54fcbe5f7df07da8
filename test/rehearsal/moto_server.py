"""moto_server for the deploy rehearsal, with the EMR calls moto lacks (MOTO_GAPS emr-*).

1. Instance fleets (MOTO_GAPS emr-instance-fleets): moto drops RunJobFlow's
Instances.InstanceFleets and Ec2SubnetIds and implements none of ListInstanceFleets,
AddInstanceFleet, ModifyInstanceFleet (HTTP 500, which the provider retries for minutes).
The wrapper keeps each cluster's fleets (ids if-..., targets, types with their EBS volumes as
EMR lists them, launch specifications), reports InstanceCollectionType INSTANCE_FLEET and
the requested subnet ids, and provisions a fleet's target at once (a real fleet takes
minutes, and Spot may never come). A cluster built from instance groups gets real EMR's 400
InvalidRequestException from ListInstanceFleets, which the provider ignores.

1b. Managed scaling (MOTO_GAPS emr-managed-scaling): Put/Get/RemoveManagedScalingPolicy are
not implemented and RunJobFlow drops ManagedScalingPolicy; the wrapper keeps it per cluster.

2. Get/Put/RemoveAutoTerminationPolicy (MOTO_GAPS emr-auto-termination): moto ignores the
AutoTerminationPolicy of RunJobFlow and has no such calls (500, retried for minutes). The
wrapper keeps the policy given at RunJobFlow or Put, per cluster, as EMR does.

3. S3 SigV4 signatures (MOTO_GAPS s3-signature): moto recomputes the signature of S3
requests differently from the AWS SDKs for some requests (listings with an encoded prefix
from boto3, S3A's AWS SDK v1 requests), answers 403 SignatureDoesNotMatch and so refuses
requests real S3 accepts. The wrapper skips the signature comparison for S3 only; the access
key still selects the IAM user whose policies moto enforces, so authorization is unchanged.

4. Deleting an S3 delete marker by version id (MOTO_GAPS s3-delete-marker): moto calls
dispose() on it, which delete markers lack, and answers 500, so emptying a versioned bucket
that S3A wrote to (force_destroy) fails. Real S3 removes the marker. The wrapper gives delete
markers a dispose() that does nothing (they hold no data to free).

5. Test hook, off unless FRUITS_MOTO_STEP_STATES names a JSON file: moto never moves a step
out of its first state, so a test that follows a step writes {"<text in the step's args>":
"COMPLETED" | "FAILED" | ...} there, and DescribeStep/ListSteps report that state for every
step whose arguments contain the text (e.g. a run id). Nothing is changed without the variable.
6. EMR Serverless (MOTO_GAPS emr-serverless-*, moto 5.2.5; moto 5.1.22 returns timestamps as
strings that neither Terraform's nor the JavaScript SDK can read). A new application starts in
state CREATED as on AWS (moto: STARTED, which makes the provider wait for a state it never
leaves); architecture and imageConfiguration are kept and returned (moto drops them, so every
plan would want to change them); GetDashboardForJobRun answers a URL for a known job run;
StartJobRun with a client token already used on the application returns that job run (AWS's
idempotency; moto starts a second one); a job run's states follow a script the tests write
(FRUITS_MOTO_JOB_RUN_SCRIPT: a JSON file {"<client token>": [{"state": ..., "stateDetails": ...},
...]}; each GetJobRun moves one step, the last one stays), because moto's runs are SUCCESS at once.

7. CancelSteps (MOTO_GAPS emr-cancel-steps): moto has no such call (500). The wrapper does
what EMR does for the states moto has: a PENDING or RUNNING step becomes CANCELLED (EMR passes
through CANCEL_PENDING while SEND_INTERRUPT reaches the job) and the answer is SUBMITTED; a
step already in a final state gets FAILED with EMR's reason. A cancelled step keeps its state
whatever the test hook (5.) asks for afterwards.

Nothing else changes.

  python test/rehearsal/moto_server.py -H 127.0.0.1 -p PORT
"""

import itertools
import json
import os
import sys

from moto.core.responses import ActionResult, EmptyResult
from moto.emr.exceptions import InvalidRequestException
from moto.emr.models import Ec2InstanceAttributes
from moto.emr.responses import ElasticMapReduceResponse
from moto.iam.access_control import S3IAMRequest
from moto.s3.models import FakeDeleteMarker
from moto.server import main

import emr_serverless_gaps  # noqa: E402,F401 - EMR Serverless patches (item 6), kept apart

_auto_termination: dict[str, dict] = {}
_fleets: dict[str, list[dict]] = {}
_scaling: dict[str, dict] = {}
_fleet_ids = itertools.count(1)
_run_job_flow = ElasticMapReduceResponse.run_job_flow


def _fleet(spec: dict) -> dict:
    """One InstanceFleet as ListInstanceFleets returns it, from an InstanceFleetConfig."""
    types = []
    for t in spec.get("InstanceTypeConfigs", []):
        volumes = []
        for dev in (t.get("EbsConfiguration") or {}).get("EbsBlockDeviceConfigs", []):
            for _ in range(int(dev.get("VolumesPerInstance", 1))):
                volumes.append({"VolumeSpecification": dev["VolumeSpecification"], "Device": f"/dev/sd{chr(ord('b') + len(volumes))}"})
        types.append({
            "InstanceType": t["InstanceType"],
            "WeightedCapacity": int(t.get("WeightedCapacity", 1)),
            "BidPriceAsPercentageOfOnDemandPrice": float(t.get("BidPriceAsPercentageOfOnDemandPrice", 100)),
            "EbsBlockDevices": volumes,
            "EbsOptimized": True,
        })
    on_demand, spot = int(spec.get("TargetOnDemandCapacity", 0)), int(spec.get("TargetSpotCapacity", 0))
    fleet = {
        "Id": f"if-{next(_fleet_ids):013d}", "Name": spec.get("Name"), "InstanceFleetType": spec["InstanceFleetType"],
        "Status": {"State": "RUNNING"},
        "TargetOnDemandCapacity": on_demand, "TargetSpotCapacity": spot,
        "ProvisionedOnDemandCapacity": on_demand, "ProvisionedSpotCapacity": spot,
        "InstanceTypeSpecifications": types,
    }
    if spec.get("LaunchSpecifications"):
        fleet["LaunchSpecifications"] = spec["LaunchSpecifications"]
    return fleet


def run_job_flow(self):
    result = _run_job_flow(self)
    cluster_id = result.result["JobFlowId"]
    policy = self._get_param("AutoTerminationPolicy")
    if policy:
        _auto_termination[cluster_id] = policy
    cluster = self.backend.describe_cluster(cluster_id)
    fleets = self._get_param("Instances.InstanceFleets", [])
    if fleets:
        _fleets[cluster_id] = [_fleet(f) for f in fleets]
        cluster.instance_collection_type = "INSTANCE_FLEET"
    subnets = self._get_param("Instances.Ec2SubnetIds", [])
    if subnets:
        cluster.ec2_subnet_id = subnets[0]
        cluster.requested_ec2_subnet_ids = subnets
    scaling = self._get_param("ManagedScalingPolicy")
    if scaling:
        _scaling[cluster_id] = scaling
    return result


_ec2_attributes_init = Ec2InstanceAttributes.__init__


def ec2_attributes_init(self, cluster):
    _ec2_attributes_init(self, cluster)
    self.requested_ec2_subnet_ids = getattr(cluster, "requested_ec2_subnet_ids", None)


def get_auto_termination_policy(self):
    cluster_id = self._get_param("ClusterId")
    self.backend.describe_cluster(cluster_id)
    policy = _auto_termination.get(cluster_id)
    return ActionResult({"AutoTerminationPolicy": policy} if policy else {})


def put_auto_termination_policy(self):
    cluster_id = self._get_param("ClusterId")
    self.backend.describe_cluster(cluster_id)
    _auto_termination[cluster_id] = self._get_param("AutoTerminationPolicy")
    return EmptyResult()


def remove_auto_termination_policy(self):
    _auto_termination.pop(self._get_param("ClusterId"), None)
    return EmptyResult()


def list_instance_fleets(self):
    cluster_id = self._get_param("ClusterId")
    self.backend.describe_cluster(cluster_id)  # unknown cluster: moto's own error
    if cluster_id not in _fleets:
        raise InvalidRequestException("Instance fleets are not supported for clusters that use instance groups.")
    return ActionResult({"InstanceFleets": _fleets[cluster_id]})


def add_instance_fleet(self):
    cluster_id = self._get_param("ClusterId")
    cluster = self.backend.describe_cluster(cluster_id)
    if cluster_id not in _fleets:
        raise InvalidRequestException("Instance fleets are not supported for clusters that use instance groups.")
    fleet = _fleet(self._get_param("InstanceFleet"))
    _fleets[cluster_id].append(fleet)
    return ActionResult({"ClusterId": cluster_id, "InstanceFleetId": fleet["Id"], "ClusterArn": cluster.arn})


def modify_instance_fleet(self):
    cluster_id = self._get_param("ClusterId")
    self.backend.describe_cluster(cluster_id)
    change = self._get_param("InstanceFleet")
    fleet = next((f for f in _fleets.get(cluster_id, []) if f["Id"] == change["InstanceFleetId"]), None)
    if fleet is None:
        raise InvalidRequestException(f"Instance fleet {change['InstanceFleetId']} not found in cluster {cluster_id}.")
    for target, provisioned in (("TargetOnDemandCapacity", "ProvisionedOnDemandCapacity"), ("TargetSpotCapacity", "ProvisionedSpotCapacity")):
        if change.get(target) is not None:
            fleet[target] = fleet[provisioned] = int(change[target])
    return EmptyResult()


def put_managed_scaling_policy(self):
    cluster_id = self._get_param("ClusterId")
    self.backend.describe_cluster(cluster_id)
    _scaling[cluster_id] = self._get_param("ManagedScalingPolicy")
    return EmptyResult()


def get_managed_scaling_policy(self):
    cluster_id = self._get_param("ClusterId")
    self.backend.describe_cluster(cluster_id)
    policy = _scaling.get(cluster_id)
    return ActionResult({"ManagedScalingPolicy": policy} if policy else {})


def remove_managed_scaling_policy(self):
    _scaling.pop(self._get_param("ClusterId"), None)
    return EmptyResult()


_describe_step = ElasticMapReduceResponse.describe_step
_list_steps = ElasticMapReduceResponse.list_steps


def _apply_step_states(backend, cluster_id: str) -> None:
    """Test hook (5.): the states a test asked for, by text in the step's arguments."""
    path = os.environ.get("FRUITS_MOTO_STEP_STATES")
    if not path or not os.path.exists(path) or cluster_id not in backend.clusters:
        return
    with open(path, encoding="utf-8") as f:
        wanted = json.load(f)
    for step in backend.clusters[cluster_id].steps:
        if step.id in _cancelled:
            continue
        for text, state in wanted.items():
            if any(text in str(a) for a in step.args):
                step.state = state


_cancelled: set[str] = set()
_FINAL_STEP_STATES = {"COMPLETED", "CANCELLED", "FAILED", "INTERRUPTED"}


def cancel_steps(self):
    cluster_id = self._get_param("ClusterId")
    cluster = self.backend.describe_cluster(cluster_id)
    _apply_step_states(self.backend, cluster_id)
    infos = []
    for step_id in self._get_param("StepIds", []):
        step = next((st for st in cluster.steps if st.id == step_id), None)
        if step is None:
            infos.append({"StepId": step_id, "Status": "FAILED", "Reason": f"Step {step_id} does not exist."})
        elif step.state in _FINAL_STEP_STATES:
            infos.append({"StepId": step_id, "Status": "FAILED", "Reason": f"Step {step_id} is already in a final state ({step.state})."})
        else:
            step.state = "CANCELLED"
            _cancelled.add(step_id)
            infos.append({"StepId": step_id, "Status": "SUBMITTED", "Reason": ""})
    return ActionResult({"CancelStepsInfoList": infos})


def describe_step(self):
    _apply_step_states(self.backend, self._get_param("ClusterId"))
    return _describe_step(self)


def list_steps(self):
    _apply_step_states(self.backend, self._get_param("ClusterId"))
    return _list_steps(self)


ElasticMapReduceResponse.describe_step = describe_step
ElasticMapReduceResponse.list_steps = list_steps
ElasticMapReduceResponse.cancel_steps = cancel_steps
S3IAMRequest.check_signature = lambda self: None
FakeDeleteMarker.dispose = lambda self, garbage=False: None
ElasticMapReduceResponse.list_instance_fleets = list_instance_fleets
Ec2InstanceAttributes.__init__ = ec2_attributes_init
ElasticMapReduceResponse.add_instance_fleet = add_instance_fleet
ElasticMapReduceResponse.modify_instance_fleet = modify_instance_fleet
ElasticMapReduceResponse.put_managed_scaling_policy = put_managed_scaling_policy
ElasticMapReduceResponse.get_managed_scaling_policy = get_managed_scaling_policy
ElasticMapReduceResponse.remove_managed_scaling_policy = remove_managed_scaling_policy
ElasticMapReduceResponse.run_job_flow = run_job_flow
ElasticMapReduceResponse.get_auto_termination_policy = get_auto_termination_policy
ElasticMapReduceResponse.put_auto_termination_policy = put_auto_termination_policy
ElasticMapReduceResponse.remove_auto_termination_policy = remove_auto_termination_policy

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
