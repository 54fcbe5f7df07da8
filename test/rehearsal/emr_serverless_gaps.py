"""EMR Serverless patches of moto_server.py (its item 6), kept in their own module."""

from __future__ import annotations

import json
import os

from moto.core.responses import ActionResult
from moto.iam.access_control import IAMRequest
from moto.emrserverless import urls as serverless_urls
from moto.emrserverless.models import EMRServerlessBackend
from moto.emrserverless.responses import EMRServerlessResponse

_create_application = EMRServerlessResponse.create_application
_update_application = EMRServerlessResponse.update_application
_start_job_run = EMRServerlessBackend.start_job_run
_get_job_run = EMRServerlessBackend.get_job_run


def create_application(self):
    result = _create_application(self)
    app = self.emrserverless_backend.applications[result.result["applicationId"]]
    app.state = "CREATED"
    app.architecture = self._get_param("architecture") or "X86_64"
    app.image_configuration = self._get_param("imageConfiguration")
    return result


def update_application(self):
    result = _update_application(self)
    app = self.emrserverless_backend.applications[self._get_param("applicationId")]
    if self._get_param("architecture"):
        app.architecture = self._get_param("architecture")
    if self._get_param("imageConfiguration") is not None:
        app.image_configuration = self._get_param("imageConfiguration")
    return result


def start_job_run(self, application_id, client_token, *args, **kwargs):
    for run in self.job_runs.get(application_id, []):
        if client_token and run.client_token == client_token:
            return run
    run = _start_job_run(self, application_id, client_token, *args, **kwargs)
    run.script_step = 0
    _apply_script(run)
    return run


def _script_for(run) -> list[dict]:
    path = os.environ.get("FRUITS_MOTO_JOB_RUN_SCRIPT")
    if not path or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f).get(run.client_token, [])


def _apply_script(run) -> None:
    script = _script_for(run)
    if not script:
        return
    step = script[min(run.script_step, len(script) - 1)]
    if run.state != "CANCELLED":  # a cancel wins over the script, as on AWS
        run.state = step["state"]
        run.state_details = step.get("stateDetails")


def get_job_run(self, application_id, job_run_id):
    run = _get_job_run(self, application_id, job_run_id)
    if hasattr(run, "script_step"):
        run.script_step += 1
        _apply_script(run)
    return run


def get_dashboard_for_job_run(self):
    application_id = self._get_param("applicationId")
    job_run_id = self._get_param("jobRunId")
    _get_job_run(self.emrserverless_backend, application_id, job_run_id)  # unknown run: moto's own error, no script step
    return ActionResult({"url": f"https://p-{job_run_id}-{application_id}.emrappui-prod.us-east-1.amazonaws.com/shs/"})


EMRServerlessResponse.create_application = create_application
EMRServerlessResponse.update_application = update_application
EMRServerlessResponse.get_dashboard_for_job_run = get_dashboard_for_job_run
EMRServerlessBackend.start_job_run = start_job_run
EMRServerlessBackend.get_job_run = get_job_run
serverless_urls.url_paths["{0}/applications/(?P<applicationId>[^/]+)/jobruns/(?P<jobRunId>[^/]+)/dashboard$"] = EMRServerlessResponse.dispatch


# SigV4 (MOTO_GAPS emr-serverless-signature): moto recomputes the signature of EMR Serverless's
# REST requests differently from the SDKs and answers 403 SignatureDoesNotMatch to every signed
# call once IAM authorization is on. As for S3 (moto_server.py item 3), the comparison is skipped
# for this service only; the access key still selects the user whose policy moto enforces.
_check_signature = IAMRequest.check_signature


def check_signature(self) -> None:
    if self._service == "emr-serverless":
        return None
    return _check_signature(self)


IAMRequest.check_signature = check_signature
