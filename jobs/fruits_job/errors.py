"""Exceptions that map to the job's exit codes (contract.json exit_codes: 0 ok, 2 bad input/usage, 1 job failure)."""

from . import contract


def one_line(error: BaseException, limit: int = 500) -> str:
    """The error's message folded onto one line and cut at `limit`; its type name when empty."""
    return (" ".join(str(error).split()) or type(error).__name__)[:limit]


class UsageError(Exception):
    """Bad input or usage, detected before anything is written. Exit 2, one-line message."""

    exit_code = contract.exit_code("usage")


def missing_input(uri: str) -> UsageError:
    """The one message for an --input that is not there (checked locally, on storage and by Spark)."""
    return UsageError(f"--input {uri} does not exist; give the folder that holds <Split>/<Label>/<image> files")


class JobFailure(Exception):
    """The run started but could not complete. Exit 1; summary.json says "failed"."""

    exit_code = contract.exit_code("failed")


def run_folder_taken(run_uri: str) -> UsageError:
    """The run folder exists already (seen before the run, or lost to a concurrent run at the claim)."""
    return UsageError(f"run folder {run_uri} already exists; choose another --run-id "
                      "or pass --overwrite to replace it")
