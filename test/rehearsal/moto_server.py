"""moto_server for the deploy rehearsal, with the EMR calls moto lacks (MOTO_GAPS emr-*).

1. ListInstanceFleets (MOTO_GAPS emr-list-instance-fleets):
The AWS provider reads an aws_emr_cluster with ListInstanceFleets as well as
ListInstanceGroups. moto does not implement ListInstanceFleets and answers 500, which the
provider retries for minutes on every read. Real EMR answers a cluster built from instance
groups with a 400 InvalidRequestException, which the provider ignores; this wrapper gives
exactly that answer.

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

Nothing else changes.

  python test/rehearsal/moto_server.py -H 127.0.0.1 -p PORT
"""

import sys

from moto.core.responses import ActionResult, EmptyResult
from moto.emr.exceptions import InvalidRequestException
from moto.emr.responses import ElasticMapReduceResponse
from moto.iam.access_control import S3IAMRequest
from moto.s3.models import FakeDeleteMarker
from moto.server import main

_auto_termination: dict[str, dict] = {}
_run_job_flow = ElasticMapReduceResponse.run_job_flow


def run_job_flow(self):
    result = _run_job_flow(self)
    policy = self._get_param("AutoTerminationPolicy")
    if policy:
        _auto_termination[result.result["JobFlowId"]] = policy
    return result


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
    self.backend.describe_cluster(self._get_param("ClusterId"))  # unknown cluster: moto's own error
    raise InvalidRequestException("Instance fleets are not supported for clusters that use instance groups.")


S3IAMRequest.check_signature = lambda self: None
FakeDeleteMarker.dispose = lambda self, garbage=False: None
ElasticMapReduceResponse.list_instance_fleets = list_instance_fleets
ElasticMapReduceResponse.run_job_flow = run_job_flow
ElasticMapReduceResponse.get_auto_termination_policy = get_auto_termination_policy
ElasticMapReduceResponse.put_auto_termination_policy = put_auto_termination_policy
ElasticMapReduceResponse.remove_auto_termination_policy = remove_auto_termination_policy

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
