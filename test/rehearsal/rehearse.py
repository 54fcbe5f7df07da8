#!/usr/bin/env python3
"""Deploy rehearsal: the synthesized stacks, applied by real Terraform against moto.

What a first real deploy does, on 127.0.0.1 and without an AWS account:
  1. synth (main.ts, as `npx cdktf synth` runs it), terraform init offline from the
     provider mirror (the exact provider version the synthesized JSON pins), validate,
     plan, apply, a second plan that must show no changes, destroy;
     for fruits-state, fruits-emr (env "fruits": compute "cluster", JupyterHub off,
     one-type fleets), fruits-emr (env "fruits-dev": JupyterHub on, a three-type core fleet,
     a Spot task fleet and managed scaling; then a simulated scale-out by EMR
     (ModifyInstanceFleet) that the next plan must leave alone) and fruits-emr (env
     "fruits-tr": compute "transient", everything but the cluster; its outputs must hold
     what a run needs to create one);
  2. shared state: fruits-emr starts on local state and is migrated into the state
     bucket (S3 backend, use_lockfile); the second environment shares the bucket, gets
     its own key, and the first environment still plans zero changes;
  3. the node role's policy enforced: moto IAM authorization on, an IAM user holding only
     the node role's policy documents, the real job in local mode reading s3://<data>/images/
     and writing under results/ through S3A; forbidden writes must be refused;
  4. the emulator holds nothing of ours afterwards.

Everything that points Terraform at moto (endpoints, fake keys, path-style S3) lives in
files this script writes next to the synthesized JSON (moto_override.tf.json,
moto.s3.tfbackend) and in the environment it passes to terraform; nothing of it ships.
Where moto lacks a feature the workaround is narrowed to that one resource/attribute and
named in MOTO_GAPS (docs/testing.md: "Deploy rehearsal", moto gaps).

Output: one summary line. On failure: exit 1, the failing step, and where the full
Terraform output is (test-output/rehearsal/<step>.log). Without terraform, the provider
mirror or moto: one skip line, exit 0.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test-output" / "rehearsal"
MIRROR = Path(os.environ.get("FRUITS_TF_MIRROR", "/opt/tf-plugins"))
TOOLS_BIN = ROOT / ".venv-tools" / "bin"
JOB_BIN = ROOT / ".venv" / "bin"
JARS = ROOT / ".jars"
SAMPLE = ROOT.parent / "shared" / "data" / "fruits-360-sample"
REGION = "us-east-1"
FAKE_KEY = ("AKIAREHEARSAL0000000", "rehearsal-secret-not-a-real-key")  # moto's admin; fake by design
# Services the stacks call; each gets the moto endpoint in the test-only provider override.
ENDPOINT_SERVICES = ["ec2", "ecr", "emr", "emrserverless", "iam", "kms", "s3", "sts"]

# moto gaps met by this rehearsal. Each workaround touches only what is named here.
MOTO_GAPS = {
    "flow-log-destination": (
        "aws_flow_log.log_destination: moto takes everything after 'arn:aws:s3:::' as the bucket "
        "name, so a destination with a key prefix (<logs bucket>/vpc-flow-logs/) is refused as a "
        "missing bucket; real AWS delivers under the prefix. Workaround: the flow log points at "
        "the bare logs bucket ARN, in the override, for that one attribute."
    ),
    "bucket-policy-conditions": (
        "Bucket policies: moto evaluates any statement whose Condition it cannot check as a "
        "match, and it has no aws:SecureTransport, so the TLS-only Deny (aws:SecureTransport = "
        "false) denies every object request; real AWS denies only plain-HTTP requests. "
        "Workaround: in each bucket's policy document the DenyInsecureTransport statement (same "
        "Sid, via override_policy_documents) keeps its Deny, principal, resources and condition "
        "but covers only s3:PutBucketWebsite, which nothing calls."
    ),
    "emr-instance-fleets": (
        "EMR instance fleets: moto drops RunJobFlow's Instances.InstanceFleets and Ec2SubnetIds and "
        "implements none of ListInstanceFleets, AddInstanceFleet, ModifyInstanceFleet (HTTP 500, "
        "retried by the provider for minutes). Workaround: test/rehearsal/moto_server.py keeps each "
        "cluster's fleets, subnet ids and InstanceCollectionType and lists them as EMR does; a fleet's "
        "target is provisioned at once (real fleets take minutes, Spot may not come at all). A cluster "
        "of instance groups gets real EMR's 400 from ListInstanceFleets."
    ),
    "emr-managed-scaling": (
        "EMR Put/Get/RemoveManagedScalingPolicy are not implemented and RunJobFlow drops the policy. "
        "Workaround: test/rehearsal/moto_server.py keeps it per cluster. moto makes no scaling "
        "decisions: the rehearsal simulates one (ModifyInstanceFleet on the task fleet)."
    ),
    "emr-cancel-steps": (
        "EMR CancelSteps is not implemented (500). Workaround: test/rehearsal/moto_server.py "
        "moves a PENDING or RUNNING step to CANCELLED and answers SUBMITTED, and answers FAILED "
        "with EMR's reason for a step already ended (EMR passes through CANCEL_PENDING)."
    ),
    "emr-auto-termination": (
        "EMR Get/Put/RemoveAutoTerminationPolicy are not implemented and RunJobFlow drops the "
        "policy; real EMR stores it per cluster (here: idle timeout = idleTimeoutMinutes). "
        "Workaround: test/rehearsal/moto_server.py keeps it per cluster like EMR."
    ),
    "sg-rule-description": (
        "aws_vpc_security_group_egress_rule/ingress_rule.description: moto keeps it only on CIDR rules and drops it "
        "on rules to a prefix list or another security group, so every plan would update them; real "
        "AWS keeps it. Workaround: ignore_changes = [description] on those rules only."
    ),
    "s3-signature": (
        "S3 SigV4: moto recomputes some S3 signatures differently from the SDKs (boto3 listings "
        "with an encoded prefix, S3A's SDK v1 requests) and refuses them with 403; real S3 accepts "
        "them. Workaround: test/rehearsal/moto_server.py skips the S3 signature comparison only; "
        "the access key still selects the user whose policy is enforced."
    ),
    "multi-object-delete": (
        "S3 DeleteObjects: moto authorizes it as s3:DeleteObject on the bucket ARN, so a policy that "
        "grants DeleteObject on results/* only has every key refused; real S3 checks each key. "
        "Workaround: the rehearsal job sets fs.s3a.multiobjectdelete.enable=false (one DeleteObject "
        "per key, which moto checks per key)."
    ),
    "plain-http-sse-kms": (
        "moto serves plain HTTP, and the AWS SDK v1 under S3A refuses to send SSE-KMS parameters "
        "over HTTP, which S3A does on every rename (copy) of a KMS-encrypted object; real S3 is "
        "HTTPS-only here (bucket policy) and S3A propagates the KMS key. Workaround: the data "
        "bucket's default encryption is SSE-S3 in the override (that one resource); the node "
        "role's KMS use is granted by the key policy, which moto does not enforce anyway."
    ),
    "sg-revoke-emr-rules": (
        "aws_security_group.revoke_rules_on_delete: moto's RunJobFlow adds EMR's cross-group "
        "ingress rules, but revoking them by the rule ids moto itself lists fails with "
        "InvalidPermission.NotFound, so destroy stops; real AWS revokes them (which is why the "
        "shipped groups revoke on delete). Workaround: revoke_rules_on_delete = false on the two "
        "EMR-managed groups only (moto deletes a group whatever rules reference it)."
    ),
    "s3-delete-marker": (
        "S3: deleting a delete marker by version id crashes moto (500), so force_destroy cannot "
        "empty a versioned bucket S3A has deleted objects in; real S3 removes the marker. "
        "Workaround: test/rehearsal/moto_server.py gives delete markers a no-op dispose()."
    ),
    "iam-conditions": (
        "IAM conditions in identity policies: moto cannot evaluate s3:prefix and treats an Allow "
        "statement with a Condition as an explicit Deny; real AWS matches the listed prefix. "
        "Workaround: the rehearsal user gets the ListBucket statements without their Condition, "
        "and the rehearsal itself checks every prefix the job listed (moto's request log) "
        "against the node policy's s3:prefix patterns."
    ),
    "iam-resource-non-s3": (
        "IAM Resource of non-S3 requests: moto authorizes every EMR, EMR Serverless and IAM request "
        "against the resource '*', so a statement scoped to a cluster, application or role ARN never "
        "matches; real AWS matches the request's ARN. Workaround (the operator-policy test only): "
        "the moto user's copy of such statements has Resource '*'; their ARNs are checked statically "
        "(test/unit/iam/operator-policy.test.ts)."
    ),
    "emr-serverless-signature": (
        "EMR Serverless SigV4: moto recomputes the signature of its REST requests differently from "
        "the SDKs and answers 403 SignatureDoesNotMatch once IAM authorization is on. Workaround: "
        "test/rehearsal/emr_serverless_gaps.py skips the comparison for that service only, as for S3; "
        "the access key still selects the user whose policy is enforced."
    ),
    "iam-resource-regex": (
        "IAM Resource matching: moto turns the ARN pattern into a regular expression without "
        "escaping, so the literal '$' of EMRFS's <prefix>_$folder$ markers never matches; real AWS "
        "matches it literally. Workaround: '$' is escaped in the rehearsal user's copy only."
    ),
    "state-bucket-prevent-destroy": (
        "Not a moto gap: the state bucket is prevent_destroy on purpose. To leave the emulator "
        "empty the rehearsal empties it and lifts prevent_destroy for its final destroy only."
    ),
}


class RehearsalFailure(Exception):
    pass


def log_path(name: str) -> Path:
    return OUT / f"{name}.log"


def rel(p: Path) -> str:
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


# --- moto --------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = OUT / "moto-server.log"
        env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
        self._log_file = open(self.log, "w")
        self.proc = subprocess.Popen(
            [str(TOOLS_BIN / "python"), str(Path(__file__).with_name("moto_server.py")), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RehearsalFailure(f"moto_server exited at start; see {rel(self.log)}") from None
                time.sleep(0.3)
        raise RehearsalFailure(f"moto_server did not answer on {self.url}; see {rel(self.log)}")

    def set_auth(self, initial_no_auth_count: str) -> None:
        """'0': every request needs valid IAM credentials from now on; 'inf': auth off."""
        req = urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=initial_no_auth_count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(req, timeout=10).read()

    def log_size(self) -> int:
        self._log_file.flush()
        return self.log.stat().st_size

    def requests_since(self, offset: int) -> list[str]:
        self._log_file.flush()
        with open(self.log, encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            return f.read().splitlines()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._log_file.close()

    def client(self, service: str, key=FAKE_KEY):
        import boto3  # from .venv-tools (moto depends on it)

        return boto3.client(service, region_name=REGION, endpoint_url=self.url,
                            aws_access_key_id=key[0], aws_secret_access_key=key[1])


# --- synth and terraform -----------------------------------------------------------------

def synth(workdir: Path, outdir: Path, env_extra: dict[str, str]) -> None:
    """main.ts exactly as `npx cdktf synth` runs it (cdktf.json's app), into outdir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRUITS_")}
    # An empty config file: main.ts would otherwise read a fruits.config.json at the checkout root.
    empty = workdir / "empty.config.json"
    empty.write_text("{}\n")
    env.update({"CDKTF_OUTDIR": str(outdir), "FRUITS_CONFIG": str(empty), **env_extra})
    log = log_path("synth")
    with open(log, "a") as f:
        f.write(f"$ CDKTF_OUTDIR={outdir} {' '.join(f'{k}={v}' for k, v in env_extra.items())} tsx main.ts\n")
        proc = subprocess.run([str(ROOT / "node_modules/.bin/tsx"), str(ROOT / "main.ts")], cwd=workdir,
                              env=env, stdout=f, stderr=subprocess.STDOUT, timeout=300)
    if proc.returncode != 0:
        raise RehearsalFailure(f"synth failed (exit {proc.returncode}); output in {rel(log)}")


class Terraform:
    def __init__(self, moto: Moto, workdir: Path):
        self.moto = moto
        rc = workdir / "terraformrc"
        # Offline: providers only from the mirror; a shared cache so each init links, not copies.
        cache = workdir / "plugin-cache"
        cache.mkdir(exist_ok=True)
        rc.write_text(
            f'plugin_cache_dir = "{cache}"\n'
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path = "{MIRROR}"\n    include = ["registry.terraform.io/*/*"]\n  }}\n'
            '  direct { exclude = ["registry.terraform.io/*/*"] }\n'
            "}\n"
        )
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        self.env.update({
            "TF_CLI_CONFIG_FILE": str(rc), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
            "AWS_ACCESS_KEY_ID": FAKE_KEY[0], "AWS_SECRET_ACCESS_KEY": FAKE_KEY[1], "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
        })
        self.backend_file = workdir / "moto.s3.tfbackend"
        self.backend_file.write_text(
            f'endpoints = {{ s3 = "{moto.url}" }}\nuse_path_style = true\n'
            f'access_key = "{FAKE_KEY[0]}"\nsecret_key = "{FAKE_KEY[1]}"\n'
            "skip_credentials_validation = true\nskip_requesting_account_id = true\n"
        )

    def run(self, stack_dir: Path, name: str, *args: str, ok=(0,), timeout=480) -> tuple[int, str]:
        log = log_path(name)
        with open(log, "a") as f:
            f.write(f"\n$ (cd {stack_dir}) terraform {' '.join(args)}\n")
            f.flush()
            try:
                proc = subprocess.run(["terraform", *args, "-no-color"], cwd=stack_dir, env=self.env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
            except subprocess.TimeoutExpired as e:
                f.write(e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""))
                raise RehearsalFailure(f"{name}: terraform {args[0]} still running after {timeout} s (moto errors? "
                                       f"see {rel(self.moto.log)}); output so far in {rel(log)}") from None
            f.write(proc.stdout)
        if proc.returncode not in ok:
            tail = "\n".join(proc.stdout.strip().splitlines()[-6:])
            raise RehearsalFailure(
                f"{name}: terraform {args[0]} exited {proc.returncode}; full output in {rel(log)}\n{tail}")
        return proc.returncode, proc.stdout

    def write_override(self, stack_dir: Path, extra_resources: dict | None = None) -> None:
        """Test-only: endpoints and fake keys (never in the shipped JSON), plus named gap workarounds."""
        gaps = gap_overrides(stack_dir)
        for rtype, blocks in (extra_resources or {}).items():
            gaps["resource"].setdefault(rtype, {}).update(blocks)
        override: dict = {
            "provider": {"aws": {
                "access_key": FAKE_KEY[0], "secret_key": FAKE_KEY[1],
                "s3_use_path_style": True, "skip_metadata_api_check": True,
                "endpoints": [{svc: self.moto.url for svc in ENDPOINT_SERVICES}],
            }},
        }
        override.update({k: v for k, v in gaps.items() if v})
        (stack_dir / "moto_override.tf.json").write_text(json.dumps(override, indent=2))

    def init(self, stack_dir: Path, name: str, *extra: str) -> None:
        args = ["init", "-input=false"]
        if "s3" in json.loads((stack_dir / "cdk.tf.json").read_text()).get("terraform", {}).get("backend", {}):
            args.append(f"-backend-config={self.backend_file}")
        self.run(stack_dir, name, *args, *extra)

    def provider_version(self, stack_dir: Path, name: str) -> str:
        _, out = self.run(stack_dir, name, "version", "-json")
        versions = json.loads(out[out.index("{"):]).get("provider_selections", {})
        return versions.get("registry.terraform.io/hashicorp/aws", "")

    def plan_changes(self, stack_dir: Path, name: str, *extra: str) -> int:
        """Number of resources the plan would add, change or destroy."""
        code, out = self.run(stack_dir, name, "plan", "-input=false", "-detailed-exitcode", *extra, ok=(0, 2))
        if code == 0:
            return 0
        m = re.search(r"Plan: (\d+) to add, (\d+) to change, (\d+) to destroy", out)
        return sum(map(int, m.groups())) if m else 1

    def apply(self, stack_dir: Path, name: str, plan_file: str | None = None) -> int:
        _, out = self.run(stack_dir, name, "apply", "-input=false", "-auto-approve", *([plan_file] if plan_file else []))
        m = re.search(r"Apply complete! Resources: (\d+) added", out)
        return int(m.group(1)) if m else 0

    def destroy(self, stack_dir: Path, name: str) -> int:
        _, out = self.run(stack_dir, name, "destroy", "-input=false", "-auto-approve")
        m = re.search(r"Destroy complete! Resources: (\d+) destroyed", out)
        return int(m.group(1)) if m else 0

    def outputs(self, stack_dir: Path, name: str) -> dict:
        _, out = self.run(stack_dir, name, "output", "-json")
        return {k: v["value"] for k, v in json.loads(out[out.index("{"):]).items()}


def stack_json(stack_dir: Path) -> dict:
    return json.loads((stack_dir / "cdk.tf.json").read_text())


def ids_of(synth_json: dict, rtype: str) -> list[str]:
    return list(synth_json.get("resource", {}).get(rtype, {}))


def gap_overrides(stack_dir: Path) -> dict:
    """The narrowed moto workarounds (MOTO_GAPS) for one synthesized stack, as override blocks."""
    s = stack_json(stack_dir)
    data: dict = {}
    for doc_id, doc in s.get("data", {}).get("aws_iam_policy_document", {}).items():
        tls = [st for st in doc.get("statement", []) if st.get("sid") == "DenyInsecureTransport"]
        if tls:  # MOTO_GAPS bucket-policy-conditions
            narrowed = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": {"AWS": "*"},
                        "Action": "s3:PutBucketWebsite", "Resource": tls[0]["resources"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            data.setdefault("aws_iam_policy_document", {})[doc_id] = {"override_policy_documents": [json.dumps({"Version": "2012-10-17", "Statement": [narrowed]})]}
    resources: dict = {}
    logs = [rid for rid in ids_of(s, "aws_s3_bucket") if "logs" in rid]
    for rid in ids_of(s, "aws_flow_log"):  # MOTO_GAPS flow-log-destination
        resources.setdefault("aws_flow_log", {})[rid] = {"log_destination": f"${{aws_s3_bucket.{logs[0]}.arn}}"}
    for rid in ids_of(s, "aws_security_group"):
        if "emr-master-sg" in rid or "emr-core-sg" in rid:  # MOTO_GAPS sg-revoke-emr-rules
            resources.setdefault("aws_security_group", {})[rid] = {"revoke_rules_on_delete": False}
    for rid in s.get("resource", {}).get("aws_s3_bucket_server_side_encryption_configuration", {}):
        if rid.startswith("storage_data_"):  # MOTO_GAPS plain-http-sse-kms
            resources.setdefault("aws_s3_bucket_server_side_encryption_configuration", {})[rid] = {
                "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}
    for rtype in ("aws_vpc_security_group_egress_rule", "aws_vpc_security_group_ingress_rule"):
        for rid, body in s.get("resource", {}).get(rtype, {}).items():
            if "cidr_ipv4" not in body and "description" in body:  # MOTO_GAPS sg-rule-description
                resources.setdefault(rtype, {})[rid] = {"lifecycle": {"ignore_changes": ["description"]}}
    return {"data": data, "resource": resources}


# --- the rehearsal -----------------------------------------------------------------------

def full_cycle_apply(tf: Terraform, stack_dir: Path, name: str, want_version: str, counts: dict) -> None:
    tf.init(stack_dir, name)
    got = tf.provider_version(stack_dir, name)
    if got != want_version:
        raise RehearsalFailure(f"{name}: terraform selected hashicorp/aws {got or '(none)'}, the synthesized JSON pins {want_version}")
    tf.run(stack_dir, name, "validate")
    if tf.plan_changes(stack_dir, name, "-out=rehearsal.tfplan") == 0:
        raise RehearsalFailure(f"{name}: the first plan shows no changes on an empty emulator; see {rel(log_path(name))}")
    counts["applied"] += tf.apply(stack_dir, name, "rehearsal.tfplan")
    replanned = tf.plan_changes(stack_dir, name)
    if replanned:
        raise RehearsalFailure(f"{name}: the plan after apply shows {replanned} change(s) (should be 0); see {rel(log_path(name))}")


def main() -> int:
    missing = [what for what, ok in [
        ("terraform on PATH", shutil.which("terraform")),
        (f"the provider mirror {MIRROR}", (MIRROR / "registry.terraform.io/hashicorp/aws").is_dir()),
        ("moto_server in .venv-tools (bash scripts/setup.sh --test)", (TOOLS_BIN / "moto_server").exists()),
    ] if not ok]
    if missing:
        print(f"rehearsal: skipped (missing {'; '.join(missing)})")
        return 0
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    started = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="fruits-rehearsal-"))
    # A stopped test (SIGTERM) still stops moto and removes its work folder.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    moto = Moto(workdir)
    counts = {"applied": 0, "destroyed": 0}
    # --serverless: only the compute "serverless" variant (a short cycle of its own); by default
    # the cluster, fleets and transient environments, then the serverless one once they are gone.
    def run_all(moto: Moto, workdir: Path, counts: dict) -> str:
        first = rehearse(moto, workdir, counts)
        return f"{first}\n{rehearse_serverless(moto, workdir / 'serverless', {'applied': 0, 'destroyed': 0})}"

    run = rehearse_serverless if "--serverless" in sys.argv[1:] else run_all
    try:
        summary = run(moto, workdir, counts)
    except KeyboardInterrupt:
        print(f"rehearsal: interrupted; logs so far in {rel(OUT)}/", file=sys.stderr)
        return 130
    except RehearsalFailure as e:
        print(f"rehearsal FAILED: {e}", file=sys.stderr)
        print(f"rehearsal: logs of every step are in {rel(OUT)}/ (moto: {rel(moto.log)})", file=sys.stderr)
        return 1
    finally:
        moto.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{summary} ({time.time() - started:.0f} s)")
    return 0


def rehearse(moto: Moto, workdir: Path, counts: dict) -> str:
    tf = Terraform(moto, workdir)
    key_dir = workdir / "keys"
    key_dir.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_dir / "operator")], check=True)
    base_env = {
        "FRUITS_OPERATOR_CIDR": "203.0.113.7/32",
        "FRUITS_PUBLIC_KEY_PATH": str(key_dir / "operator.pub"),
        "FRUITS_REGION": REGION,
        # The rehearsal deletes buckets that still hold objects (inputs, results, logs).
        "FRUITS_FORCE_DESTROY_BUCKETS": "true",
    }
    prod_out, dev_out = workdir / "out-fruits", workdir / "out-fruits-dev"

    # fruits-state first (local state), then fruits-emr on local state.
    synth(workdir, prod_out, {**base_env, "FRUITS_NAME_PREFIX": "fruits"})
    state_dir, prod_dir = prod_out / "stacks/fruits-state", prod_out / "stacks/fruits-emr"
    want_version = stack_json(prod_dir)["terraform"]["required_providers"]["aws"]["version"]
    for d in (state_dir, prod_dir):
        if "endpoints" in json.dumps(stack_json(d)["provider"]):
            raise RehearsalFailure(f"{d.name}: the shipped synthesized JSON configures endpoints")
    tf.write_override(state_dir)
    full_cycle_apply(tf, state_dir, "fruits-state", want_version, counts)
    state_bucket = tf.outputs(state_dir, "fruits-state")["state_bucket"]

    tf.write_override(prod_dir)
    full_cycle_apply(tf, prod_dir, "fruits-emr.fruits", want_version, counts)

    # Shared state: re-synth with the state bucket and migrate the local state into it.
    env_prod = {**base_env, "FRUITS_NAME_PREFIX": "fruits", "FRUITS_STATE_BUCKET": state_bucket}
    synth(workdir, prod_out, env_prod)
    backend = stack_json(prod_dir)["terraform"]["backend"]["s3"]
    tf.write_override(prod_dir)
    tf.init(prod_dir, "fruits-emr.fruits", "-migrate-state", "-force-copy")
    s3 = moto.client("s3")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=state_bucket).get("Contents", [])}
    if backend["key"] not in keys:
        raise RehearsalFailure(f"state migration: {backend['key']} not in s3://{state_bucket} (found {sorted(keys)})")
    if tf.plan_changes(prod_dir, "fruits-emr.fruits"):
        raise RehearsalFailure("fruits-emr plans changes after moving its state into the bucket")
    # The lock file is honoured: a held lock (another operator's apply) blocks a plan.
    lock_key = f"{backend['key']}.tflock"
    s3.put_object(Bucket=state_bucket, Key=lock_key, Body=json.dumps({"ID": "rehearsal-held-lock", "Who": "someone-else"}).encode())
    code, out = tf.run(prod_dir, "fruits-emr.fruits", "plan", "-input=false", "-lock-timeout=0s", ok=(0, 1, 2))
    s3.delete_object(Bucket=state_bucket, Key=lock_key)
    if code != 1 or "Error acquiring the state lock" not in out:
        raise RehearsalFailure(f"a held {lock_key} did not block terraform plan (exit {code}); see {rel(log_path('fruits-emr.fruits'))}")

    # A second environment in the same bucket: JupyterHub on, a three-type core fleet, a Spot
    # task fleet and managed scaling of task capacity.
    synth(workdir, dev_out, {**base_env, "FRUITS_NAME_PREFIX": "fruits-dev", "FRUITS_STATE_BUCKET": state_bucket,
                             "FRUITS_JUPYTERHUB": "true", **SPOT_SCALING_ENV})
    dev_dir = dev_out / "stacks/fruits-emr"
    tf.write_override(dev_dir)
    full_cycle_apply(tf, dev_dir, "fruits-emr.fruits-dev", want_version, counts)
    scale_out = check_fleets_and_scale_out(moto, tf, dev_dir)
    dev_key = stack_json(dev_dir)["terraform"]["backend"]["s3"]["key"]
    if dev_key == backend["key"]:
        raise RehearsalFailure(f"both environments use the state key {dev_key}")
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=state_bucket).get("Contents", [])}
    if not {dev_key, backend["key"]} <= keys:
        raise RehearsalFailure(f"state keys {backend['key']} and {dev_key} not both in the bucket: {sorted(keys)}")
    if tf.plan_changes(prod_dir, "fruits-emr.fruits"):
        raise RehearsalFailure("applying fruits-dev changed what fruits plans (environments overlap)")
    from jupyterhub_check import check_jupyterhub  # noqa: E402 (same folder)

    hub = check_jupyterhub(moto, tf.outputs(dev_dir, "fruits-emr.fruits-dev"), workdir, RehearsalFailure)

    from node_policy import run_node_policy_check  # noqa: E402 (same folder)

    outputs = tf.outputs(prod_dir, "fruits-emr.fruits")
    refused = run_node_policy_check(moto, outputs, stack_json(prod_dir), OUT, RehearsalFailure)

    # compute "transient": everything but the cluster, in a third environment (short: no cluster).
    tr_out = workdir / "out-fruits-tr"
    synth(workdir, tr_out, {**base_env, "FRUITS_NAME_PREFIX": "fruits-tr", "FRUITS_STATE_BUCKET": state_bucket,
                            "FRUITS_COMPUTE": "transient", **SPOT_SCALING_ENV})
    tr_dir = tr_out / "stacks/fruits-emr"
    tf.write_override(tr_dir)
    full_cycle_apply(tf, tr_dir, "fruits-emr.fruits-tr", want_version, counts)
    check_transient_outputs(moto, tf.outputs(tr_dir, "fruits-emr.fruits-tr"))
    counts["destroyed"] += tf.destroy(tr_dir, "fruits-emr.fruits-tr")

    # Tear down: both environments, then the state bucket (emptied; prevent_destroy lifted here only).
    counts["destroyed"] += tf.destroy(dev_dir, "fruits-emr.fruits-dev")
    counts["destroyed"] += tf.destroy(prod_dir, "fruits-emr.fruits")
    empty_bucket(s3, state_bucket)
    state_json = stack_json(state_dir)
    tf.write_override(state_dir, {"aws_s3_bucket": {rid: {"lifecycle": {"prevent_destroy": False}}
                                                    for rid in ids_of(state_json, "aws_s3_bucket")}})
    counts["destroyed"] += tf.destroy(state_dir, "fruits-state")
    require_all_destroyed(moto, counts)
    return (f"rehearsal: {counts['applied']} resources applied, re-planned (0 changes) and destroyed "
            f"(fruits-state, fruits-emr x3 environments: cluster, fleets+Spot+scaling, transient; "
            f"shared S3 state with lock file); {scale_out}; "
            f"node-policy job run ok; {refused} forbidden writes refused; {hub}")


def rehearse_serverless(moto: Moto, workdir: Path, counts: dict) -> str:
    """compute "serverless" (docs/serverless.md): the environment with the EMR Serverless
    application, job-run role and ECR repository instead of the cluster, on local state:
    apply, re-plan with 0 changes, the real job under only the job-run role's policy, destroy,
    nothing left."""
    workdir.mkdir(exist_ok=True)
    tf = Terraform(moto, workdir)
    key_dir = workdir / "keys"
    key_dir.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key_dir / "operator")], check=True)
    out = workdir / "out-serverless"
    synth(workdir, out, {
        "FRUITS_OPERATOR_CIDR": "203.0.113.7/32", "FRUITS_PUBLIC_KEY_PATH": str(key_dir / "operator.pub"),
        "FRUITS_REGION": REGION, "FRUITS_FORCE_DESTROY_BUCKETS": "true", "FRUITS_NAME_PREFIX": "fruits-sl",
        "FRUITS_COMPUTE": "serverless", "FRUITS_SERVERLESS_IMAGE_TAG": "fruits-0123456789abcdef",
    })
    stack_dir = out / "stacks/fruits-emr"
    stack = stack_json(stack_dir)
    if "aws_emr_cluster" in stack["resource"] or "aws_emrserverless_application" not in stack["resource"]:
        raise RehearsalFailure("compute serverless: the synthesized stack has a cluster or no EMR Serverless application")
    tf.write_override(stack_dir)
    full_cycle_apply(tf, stack_dir, "fruits-emr.serverless", stack["terraform"]["required_providers"]["aws"]["version"], counts)
    outputs = tf.outputs(stack_dir, "fruits-emr.serverless")
    app = moto.client("emr-serverless").get_application(applicationId=outputs["serverless_application_id"])["application"]
    if app.get("imageConfiguration", {}).get("imageUri") != f"{outputs['ecr_repository_url']}:fruits-0123456789abcdef":
        raise RehearsalFailure(f"the application's image is {app.get('imageConfiguration')}, not the stack repository's tag")
    from node_policy import JOB_RUN_ROLE, run_node_policy_check  # noqa: E402 (same folder)

    refused = run_node_policy_check(moto, outputs, stack, OUT, RehearsalFailure, role=JOB_RUN_ROLE)
    counts["destroyed"] += tf.destroy(stack_dir, "fruits-emr.serverless")
    require_all_destroyed(moto, counts)
    return (f"rehearsal (compute serverless): {counts['applied']} resources applied, re-planned (0 changes) and destroyed; "
            f"application {app['state']} with the stack repository's image; job-run-role job run ok; "
            f"{refused} forbidden writes refused")
# The fleets + Spot + managed scaling variant (env fruits-dev and the transient env).
SPOT_SCALING_ENV = {
    "FRUITS_CAPACITY_CORE_TYPES": "m5.xlarge,m5a.xlarge,m6i.xlarge",
    "FRUITS_CAPACITY_TASK_SPOT_UNITS": "2",
    "FRUITS_CAPACITY_MAX_TASK_UNITS": "6",
}


def check_fleets_and_scale_out(moto: Moto, tf: Terraform, stack_dir: Path) -> str:
    """What EMR holds for the fleets variant; then EMR "scales out" the task fleet and Terraform must not fight it."""
    emr = moto.client("emr")
    clusters = [c for c in emr.list_clusters(ClusterStates=["WAITING", "RUNNING", "STARTING"])["Clusters"] if c["Name"] == "fruits-dev-emr"]
    if len(clusters) != 1:
        raise RehearsalFailure(f"fruits-dev: expected one live cluster fruits-dev-emr, found {[c['Name'] for c in clusters]}")
    cid = clusters[0]["Id"]
    fleets = {f["InstanceFleetType"]: f for f in emr.list_instance_fleets(ClusterId=cid)["InstanceFleets"]}
    core_types = sorted(t["InstanceType"] for t in fleets.get("CORE", {}).get("InstanceTypeSpecifications", []))
    task = fleets.get("TASK")
    if set(fleets) != {"MASTER", "CORE", "TASK"} or core_types != ["m5.xlarge", "m5a.xlarge", "m6i.xlarge"] or not task:
        raise RehearsalFailure(f"fruits-dev: fleets {sorted(fleets)} / core types {core_types} are not what the stack asked for")
    spot = task.get("LaunchSpecifications", {}).get("SpotSpecification", {})
    if (task["TargetSpotCapacity"], spot.get("AllocationStrategy"), spot.get("TimeoutAction")) != (2, "price-capacity-optimized", "SWITCH_TO_ON_DEMAND"):
        raise RehearsalFailure(f"fruits-dev: the task fleet is {task['TargetSpotCapacity']} Spot units with {spot}")
    limits = emr.get_managed_scaling_policy(ClusterId=cid).get("ManagedScalingPolicy", {}).get("ComputeLimits", {})
    want = {"UnitType": "InstanceFleetUnits", "MinimumCapacityUnits": 4, "MaximumCapacityUnits": 8,
            "MaximumCoreCapacityUnits": 2, "MaximumOnDemandCapacityUnits": 2}
    if {k: limits.get(k) for k in want} != want:
        raise RehearsalFailure(f"fruits-dev: managed scaling limits {limits}, expected {want}")
    # EMR managed scaling adds Spot task capacity (what moto cannot decide, simulated here).
    emr.modify_instance_fleet(ClusterId=cid, InstanceFleet={"InstanceFleetId": task["Id"], "TargetSpotCapacity": 5})
    changes = tf.plan_changes(stack_dir, "fruits-emr.fruits-dev")
    if changes:
        raise RehearsalFailure(f"fruits-dev: after a scale-out by EMR the plan shows {changes} change(s) (Terraform would fight managed scaling); "
                               f"see {rel(log_path('fruits-emr.fruits-dev'))}")
    return "scale-out by EMR (task fleet 2 -> 5 Spot) re-planned with 0 changes"


# What `fruits run emr` reads from a transient environment's outputs to create a cluster.
TRANSIENT_OUTPUTS = [
    "compute", "cluster_name", "release_label", "applications_json", "subnet_id", "master_security_group_id",
    "core_security_group_id", "ssh_security_group_id", "service_role_arn", "instance_profile_arn", "key_name",
    "security_configuration", "bootstrap_action_json", "configurations_json", "instance_fleets_json",
    "managed_scaling_policy_json", "idle_timeout_seconds", "ebs_root_volume_size", "log_uri", "code_uri",
]


def check_transient_outputs(moto: Moto, outputs: dict) -> None:
    missing = [k for k in TRANSIENT_OUTPUTS if not outputs.get(k)]
    if missing or outputs["compute"] != "transient" or "cluster_id" in outputs:
        raise RehearsalFailure(f"fruits-tr: outputs missing {missing} (compute={outputs.get('compute')}, cluster_id={'cluster_id' in outputs})")
    emr = moto.client("emr")
    if [c for c in emr.list_clusters(ClusterStates=["WAITING", "RUNNING", "STARTING"])["Clusters"] if c["Name"] == "fruits-tr-emr"]:
        raise RehearsalFailure("fruits-tr: compute transient created a cluster")
    # The outputs are real ids: the security configuration exists, the bootstrap script was uploaded.
    emr.describe_security_configuration(Name=outputs["security_configuration"])
    path = json.loads(outputs["bootstrap_action_json"])["ScriptBootstrapAction"]["Path"]
    bucket, key = path[len("s3://"):].split("/", 1)
    moto.client("s3").head_object(Bucket=bucket, Key=key)
    fleets = [f["InstanceFleetType"] for f in json.loads(outputs["instance_fleets_json"])]
    if fleets != ["MASTER", "CORE", "TASK"]:
        raise RehearsalFailure(f"fruits-tr: instance_fleets_json holds {fleets}")


def empty_bucket(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])


def require_all_destroyed(moto: Moto, counts: dict) -> None:
    """After a destroy: nothing of ours left in the emulator, and as many destroyed as applied."""
    leftovers = what_is_left(moto)
    if leftovers:
        raise RehearsalFailure(f"the emulator still holds resources after destroy: {'; '.join(leftovers)}")
    if counts["destroyed"] != counts["applied"]:
        raise RehearsalFailure(f"{counts['applied']} resources applied but {counts['destroyed']} destroyed")


def what_is_left(moto: Moto) -> list[str]:
    """Anything of ours (fruits*) still alive in the emulator."""
    left = []
    s3, iam, ec2, emr, kms = (moto.client(s) for s in ("s3", "iam", "ec2", "emr", "kms"))
    left += [f"bucket {b['Name']}" for b in s3.list_buckets()["Buckets"]]
    left += [f"role {r['RoleName']}" for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("fruits")]
    left += [f"instance profile {p['InstanceProfileName']}" for p in iam.list_instance_profiles()["InstanceProfiles"]]
    left += [f"user {u['UserName']}" for u in iam.list_users()["Users"]]
    left += [f"vpc {v['VpcId']}" for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    left += [f"key pair {k['KeyName']}" for k in ec2.describe_key_pairs()["KeyPairs"]]
    left += [f"EMR cluster {c['Id']} ({c['Status']['State']})" for c in emr.list_clusters()["Clusters"]
             if c["Status"]["State"] not in ("TERMINATED", "TERMINATED_WITH_ERRORS")]
    # moto has no ListSecurityConfigurations: the EMR security configuration's deletion is
    # known from the destroy count only (destroyed == applied, checked by the caller).
    for k in kms.list_keys()["Keys"]:
        state = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"]
        if state != "PendingDeletion":  # what a destroyed KMS key is in real AWS too (7-30 days)
            left.append(f"KMS key {k['KeyId']} ({state})")
    left += [f"KMS alias {a['AliasName']}" for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/fruits")]
    left += [f"EMR Serverless application {a['id']} ({a['state']})"
             for a in moto.client("emr-serverless").list_applications()["applications"] if a["state"] != "TERMINATED"]
    left += [f"ECR repository {r['repositoryName']}" for r in moto.client("ecr").describe_repositories()["repositories"]]
    return left


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    sys.exit(main())
