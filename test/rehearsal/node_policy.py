"""A job role's policy, enforced: the real job through S3A under only that policy.

Called by rehearse.py while fruits-emr is applied on moto, for the cluster's node role
(compute "cluster") and for the EMR Serverless job-run role (compute "serverless"). moto's
IAM authorization is switched on for the run (/moto-api/reset-auth), so every request must
be signed by the rehearsal user, whose only permissions are that role's own policy documents
as deployed from the synthesized JSON (aws_iam_role_policy of the role).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
JOB_BIN = ROOT / ".venv" / "bin"
JARS = ROOT / ".jars"
SAMPLE = ROOT.parent / "shared" / "data" / "fruits-360-sample"
USER = "fruits-node-policy-rehearsal"
NOT_OURS = "someone-elses-bucket-rehearsal"
IMAGES_PER_LABEL = 2
LABELS = 2
RUN_ID = "rehearsal"


def string_like(pattern: str, value: str) -> bool:
    """IAM StringLike: * is any run of characters, ? one character, nothing else is special."""
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, flags=re.S) is not None


@dataclass(frozen=True)
class RoleUnderTest:
    """Which role's policy the job runs under, and what it may and may not write besides the run."""

    label: str  # "node role", "job-run role"
    name_suffix: str  # of the IAM role's name in the synthesized JSON
    # Writes that must pass (besides the job's own): (output name of the bucket, key).
    extra_allowed: list[tuple[str, str]] = field(default_factory=list)
    # Objects put there beforehand that the role must be able to read (the job's run reads only inputs).
    readable: list[tuple[str, str]] = field(default_factory=list)
    # JupyterHub's S3 persistence saves and renames notebooks under jupyter/ (the node role only).
    notebooks: bool = False
    # Writes that must be refused: (output name of the bucket or a literal bucket, key).
    forbidden: list[tuple[str, str]] = field(default_factory=list)


NODE_ROLE = RoleUnderTest(
    label="node role", name_suffix="-emr-node", notebooks=True,
    forbidden=[("data_bucket", "images/Training/forbidden.jpg"), ("artifacts_bucket", "bootstrap/forbidden.sh"),
               ("artifacts_bucket", "jupyter-other/forbidden.ipynb"), (NOT_OURS, "forbidden.txt")],
)
# EMR Serverless uploads the job run's logs with the job-run role (stacks/serverless.ts SERVERLESS_LOG_PREFIX).
JOB_RUN_ROLE = RoleUnderTest(
    label="job-run role", name_suffix="-serverless-job",
    # The serverless default featurizer (runner/serverless/job-run.ts SERVERLESS_DEFAULT_WEIGHTS_FILE).
    readable=[("artifacts_bucket", "models/mobilenet_v2_featurizer.onnx")],
    extra_allowed=[("logs_bucket", "emr-logs/serverless/applications/app/jobs/run/SPARK_DRIVER/stderr.gz")],
    forbidden=[("data_bucket", "images/Training/forbidden.jpg"), ("artifacts_bucket", "bootstrap/forbidden.sh"),
               ("artifacts_bucket", "jupyter/forbidden.ipynb"), ("artifacts_bucket", "models/forbidden.onnx"),
               ("artifacts_bucket", "code/forbidden.py"), ("logs_bucket", "emr-logs/j-CLUSTER/forbidden.gz"),
               (NOT_OURS, "forbidden.txt")],
)


def role_documents(iam, synth_json: dict, name_suffix: str) -> tuple[str, list[dict]]:
    """The role's inline policy documents, as Terraform deployed them."""
    roles = [r for r in synth_json["resource"]["aws_iam_role"].values() if r["name"].endswith(name_suffix)]
    name = roles[0]["name"]
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    if attached:
        raise AssertionError(f"role {name} has managed policies attached: {attached}")
    docs = [iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]
    return name, [json.loads(urllib.parse.unquote(d)) if isinstance(d, str) else d for d in docs]


def for_moto(doc: dict, list_patterns: dict[str, list[str]]) -> dict:
    """The rehearsal user's copy: MOTO_GAPS iam-conditions and iam-resource-regex, nothing else."""
    out = json.loads(json.dumps(doc))
    for st in out["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        prefix_cond = st.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if actions == ["s3:ListBucket"] and prefix_cond is not None:
            bucket_arn = st["Resource"] if isinstance(st["Resource"], str) else st["Resource"][0]
            list_patterns[bucket_arn.split(":::")[1]] = prefix_cond if isinstance(prefix_cond, list) else [prefix_cond]
            del st["Condition"]
        res = st.get("Resource")
        if res is not None:
            st["Resource"] = [r.replace("$", "\\$") for r in (res if isinstance(res, list) else [res])]
    return out


def listed_prefixes(log_lines: list[str], buckets: set[str]) -> list[tuple[str, str]]:
    """(bucket, prefix) of every ListObjects request in moto's request log."""
    found = []
    for line in log_lines:
        m = re.search(r'"GET /([^/?\s]+)/?\?([^\s]*) HTTP', line)
        if not m or m.group(1) not in buckets:
            continue
        query = urllib.parse.parse_qs(m.group(2), keep_blank_values=True)
        if any(k in query for k in ("list-type", "prefix", "delimiter", "max-keys", "marker")) or m.group(2) == "":
            found.append((m.group(1), query.get("prefix", [""])[0]))
    return found


def run_node_policy_check(moto, outputs: dict, synth_json: dict, out_dir: Path, failure, role: RoleUnderTest = NODE_ROLE) -> int:
    """Returns how many forbidden writes were refused; raises `failure` on anything wrong."""
    jars = sorted(JARS.glob("*.jar"))
    if len(jars) < 2:
        raise failure(f"hadoop-aws and the AWS SDK bundle are missing from {JARS}: run bash scripts/setup.sh --test")
    data, artifacts = outputs["data_bucket"], outputs["artifacts_bucket"]
    iam, s3 = moto.client("iam"), moto.client("s3")

    # Inputs: a few real photos under images/<Split>/<Label>/, and a bucket that is not ours.
    labels = sorted(p for p in (SAMPLE / "Training").iterdir() if p.is_dir())[:LABELS]
    uploaded = 0
    for label in labels:
        for img in sorted(label.glob("*.jpg"))[:IMAGES_PER_LABEL]:
            s3.upload_file(str(img), data, f"images/Training/{label.name}/{img.name}")
            uploaded += 1
    s3.create_bucket(Bucket=NOT_OURS)
    for bucket, k in role.readable:
        s3.put_object(Bucket=outputs[bucket], Key=k, Body=b"readable by the role")

    _, docs = role_documents(iam, synth_json, role.name_suffix)
    list_patterns: dict[str, list[str]] = {}
    iam.create_user(UserName=USER)
    for i, doc in enumerate(docs):
        iam.put_user_policy(UserName=USER, PolicyName=f"node-role-{i}", PolicyDocument=json.dumps(for_moto(doc, list_patterns)))
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    user_s3 = moto.client("s3", key=creds)

    log = out_dir / f"{role.name_suffix.strip('-')}-policy-job.log"
    offset = moto.log_size()
    moto.set_auth("0")  # from here on every request needs the user's signature and policy
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SPARK_HOME"))}
        env.update({"AWS_ACCESS_KEY_ID": creds[0], "AWS_SECRET_ACCESS_KEY": creds[1], "AWS_REGION": "us-east-1",
                    "PYSPARK_PYTHON": str(JOB_BIN / "python"), "PYSPARK_DRIVER_PYTHON": str(JOB_BIN / "python"),
                    "PATH": f"{JOB_BIN}{os.pathsep}{env.get('PATH', '')}"})
        s3a = {
            "fs.s3a.endpoint": moto.url, "fs.s3a.endpoint.region": "us-east-1",
            "fs.s3a.path.style.access": "true", "fs.s3a.connection.ssl.enabled": "false",
            "fs.s3a.aws.credentials.provider": "com.amazonaws.auth.EnvironmentVariableCredentialsProvider",
            "fs.s3a.attempts.maximum": "1", "fs.s3a.retry.limit": "1",
            # MOTO_GAPS multi-object-delete: one DeleteObject per key, which moto authorizes per key.
            "fs.s3a.multiobjectdelete.enable": "false",
        }
        cmd = [str(JOB_BIN / "spark-submit"), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
               "--jars", ",".join(map(str, jars))]
        for k, v in s3a.items():
            cmd += ["--conf", f"spark.hadoop.{k}={v}"]
        cmd += [str(ROOT / "jobs/run_job.py"), "--input", f"s3a://{data}/images/", "--output", f"s3a://{data}/results/",
                "--run-id", RUN_ID, "--weights", "test-only-random:8", "--k", "2", "--no-train", "--json"]
        with open(log, "w") as f:
            f.write("$ " + " ".join(cmd) + "\n")
            f.flush()
            proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT, timeout=900)
        if proc.returncode != 0:
            denied = [l for l in log.read_text().splitlines() if "AccessDenied" in l or "403" in l][:3]
            raise failure(f"the job under the {role.label}'s policy exited {proc.returncode}; output in {log}"
                          + ("".join(f"\n  {d.strip()[:300]}" for d in denied)))
        summary = json.loads(user_s3.get_object(Bucket=data, Key=f"results/{RUN_ID}/summary.json")["Body"].read())
        if summary.get("status") != "succeeded" or summary.get("counts", {}).get("featurized") != uploaded:
            raise failure(f"the {role.label} run's summary.json says {summary.get('status')}, "
                          f"{summary.get('counts')} (expected {uploaded} featurized); see {log}")

        # EMRFS does what S3A may not: its directory marker and a HEAD on the bare prefix key.
        user_s3.put_object(Bucket=data, Key="results_$folder$", Body=b"")
        for probe in ("results", "images", "images_$folder$"):
            try:
                user_s3.head_object(Bucket=data, Key=probe)
            except user_s3.exceptions.ClientError as e:
                if e.response["Error"]["Code"] not in ("404", "NoSuchKey"):
                    raise failure(f"HEAD s3://{data}/{probe} (an EMRFS probe) was refused: {e}") from e

        bucket_of = lambda name: outputs.get(name, name)  # noqa: E731 - an output name, or a literal bucket
        for bucket, k in role.readable:
            try:
                user_s3.get_object(Bucket=bucket_of(bucket), Key=k)["Body"].read()
            except user_s3.exceptions.ClientError as e:
                raise failure(f"the {role.label}'s policy refused to read s3://{bucket_of(bucket)}/{k}: {e}") from e
        for bucket, k in role.extra_allowed:
            try:
                user_s3.put_object(Bucket=bucket_of(bucket), Key=k, Body=b"x")
            except user_s3.exceptions.ClientError as e:
                raise failure(f"the {role.label}'s policy refused a write to s3://{bucket_of(bucket)}/{k}: {e}") from e
        if role.notebooks:
            # JupyterHub's S3 persistence saves, renames (copy + delete) notebooks under jupyter/ only.
            user_s3.put_object(Bucket=artifacts, Key="jupyter/jovyan/saved.ipynb", Body=b"{}")
            user_s3.copy_object(Bucket=artifacts, Key="jupyter/jovyan/renamed.ipynb",
                                CopySource={"Bucket": artifacts, "Key": "jupyter/jovyan/saved.ipynb"})
            user_s3.delete_object(Bucket=artifacts, Key="jupyter/jovyan/saved.ipynb")
        refused = 0
        for bucket, k in role.forbidden:
            try:
                user_s3.put_object(Bucket=bucket_of(bucket), Key=k, Body=b"x")
            except user_s3.exceptions.ClientError as e:
                if e.response["Error"]["Code"] in ("AccessDenied", "403"):
                    refused += 1
                    continue
                raise
            raise failure(f"the {role.label}'s policy let a write to s3://{bucket_of(bucket)}/{k} through")
    finally:
        moto.set_auth("inf")

    # MOTO_GAPS iam-conditions: check each listing the job and probes made against s3:prefix.
    buckets = {data, artifacts, outputs["logs_bucket"]}
    listings = listed_prefixes(moto.requests_since(offset), buckets)
    if not listings:
        raise failure(f"no ListObjects requests found in {moto.log}: cannot check the s3:prefix conditions")
    for bucket, prefix in listings:
        if not any(string_like(p, prefix) for p in list_patterns.get(bucket, [])):
            raise failure(f"the job listed s3://{bucket} with prefix {prefix!r}, which the {role.label} policy's "
                          f"ListBucket condition ({list_patterns.get(bucket)}) would refuse on AWS")

    # Leave nothing of the check behind.
    iam.delete_access_key(UserName=USER, AccessKeyId=creds[0])
    for i in range(len(docs)):
        iam.delete_user_policy(UserName=USER, PolicyName=f"node-role-{i}")
    iam.delete_user(UserName=USER)
    s3.delete_bucket(Bucket=NOT_OURS)
    return refused
