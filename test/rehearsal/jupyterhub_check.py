"""Deploy rehearsal, the JupyterHub environment (fruits-dev, jupyterHub on): what EMR was asked
for (applications, notebook persistence to the artifacts bucket's jupyter/ prefix, Livy in client
mode, the step that locks the shipped password) as moto recorded the RunJobFlow, and
`fruits notebook push` against the deployed buckets: the notebook lands where JupyterHub reads."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK_STEP = "lock-jupyterhub-default-password"
RUN_ID = "rehearsal-notebook"


def check_jupyterhub(moto, outputs: dict, workdir: Path, failure) -> str:
    emr, s3 = moto.client("emr"), moto.client("s3")
    cluster = emr.describe_cluster(ClusterId=outputs["cluster_id"])["Cluster"]
    apps = {a["Name"] for a in cluster.get("Applications", [])}
    if not {"JupyterHub", "Livy", "Spark"} <= apps:
        raise failure(f"the JupyterHub cluster runs {sorted(apps)}, not JupyterHub + Livy + Spark")
    confs = {c["Classification"]: c.get("Properties", {}) for c in cluster.get("Configurations", [])}
    artifacts = outputs["artifacts_bucket"]
    if confs.get("jupyter-s3-conf") != {"s3.persistence.enabled": "true", "s3.persistence.bucket": artifacts}:
        raise failure(f"jupyter-s3-conf is {confs.get('jupyter-s3-conf')}, not persistence to {artifacts}")
    if outputs["notebooks_uri"] != f"s3://{artifacts}/jupyter/":
        raise failure(f"notebooks_uri {outputs['notebooks_uri']} is not s3://{artifacts}/jupyter/")
    if confs.get("livy-conf", {}).get("livy.spark.deploy-mode") != "client":
        raise failure(f"livy-conf is {confs.get('livy-conf')}: the notebook's driver must run on the master")
    steps = emr.list_steps(ClusterId=outputs["cluster_id"])["Steps"]
    lock = [s for s in steps if s["Name"] == LOCK_STEP]
    if len(lock) != 1 or lock[0]["ActionOnFailure"] != "TERMINATE_CLUSTER":
        raise failure(f"the cluster has no {LOCK_STEP} step that terminates it on failure: {[s['Name'] for s in steps]}")
    args = " ".join(lock[0]["Config"]["Args"])
    if "passwd -l jovyan" not in args or "chpasswd" in args:
        raise failure(f"the {LOCK_STEP} step does not lock jovyan, or carries a password: {args}")

    # fruits notebook push, as an operator runs it, against the deployed buckets.
    data = outputs["data_bucket"]
    s3.put_object(Bucket=data, Key=f"results/{RUN_ID}/summary.json", Body=b'{"status": "succeeded"}')
    outputs_file = workdir / "fruits-dev-outputs.json"
    outputs_file.write_text(json.dumps({"fruits-emr": outputs}))
    empty = workdir / "empty.config.json"
    empty.write_text("{}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRUITS_", "AWS_"))}
    env.update({"FRUITS_CONFIG": str(empty), "FRUITS_OUTPUTS_FILE": str(outputs_file), "FRUITS_AWS_ENDPOINT": moto.url,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"})
    proc = subprocess.run(["node", str(ROOT / "runner/fruits.mjs"), "notebook", "push", "--run",
                           f"s3://{data}/results/{RUN_ID}", "--json"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    if proc.returncode != 0:
        raise failure(f"fruits notebook push exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    pushed = json.loads(proc.stdout)  # --json: one (indented) JSON document on stdout
    key = f"jupyter/jovyan/explore_{RUN_ID}.ipynb"
    if pushed.get("notebook") != f"s3://{artifacts}/{key}":
        raise failure(f"notebook push wrote {pushed.get('notebook')}, not s3://{artifacts}/{key}")
    nb = json.loads(s3.get_object(Bucket=artifacts, Key=key)["Body"].read())
    if f'RUN = "s3://{data}/results/{RUN_ID}"' not in "".join(nb["cells"][1]["source"]):
        raise failure("the pushed notebook's parameters cell does not name the run")
    zip_key = pushed["jobPackage"].split(f"s3://{artifacts}/", 1)[1]
    if not zip_key.startswith("code/notebook/"):
        raise failure(f"the job package went to {zip_key}, outside code/ (which the nodes read)")
    s3.head_object(Bucket=artifacts, Key=zip_key)
    return f"JupyterHub config ok, notebook pushed to s3://{artifacts}/{key}"
