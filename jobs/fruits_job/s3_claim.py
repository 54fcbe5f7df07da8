"""Exclusive creation of one S3 object: PutObject with If-None-Match: * (S3 conditional
writes). Hadoop's S3A (3.3.x, what Spark 3.5 ships) and EMRFS have no conditional create,
so this one call goes through boto3. Endpoint and keys follow the Hadoop configuration
when it sets them (fs.s3a.endpoint / access.key / secret.key: local S3-compatible
servers); otherwise boto3's default chain (the EMR instance profile) applies.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def bucket_and_key(uri: str) -> tuple[str, str]:
    parts = urlsplit(uri)
    return parts.netloc, parts.path.lstrip("/")


def client_settings(hadoop_conf) -> dict:
    def get(name: str) -> str | None:
        value = hadoop_conf.get(name) if hadoop_conf is not None else None
        return str(value) if value else None

    settings: dict = {}
    endpoint = get("fs.s3a.endpoint")
    if endpoint:
        settings["endpoint_url"] = endpoint if "://" in endpoint else f"https://{endpoint}"
    region = get("fs.s3a.endpoint.region") or get("fs.s3a.region")
    if region:
        settings["region_name"] = region
    key, secret = get("fs.s3a.access.key"), get("fs.s3a.secret.key")
    if key and secret:
        settings.update(aws_access_key_id=key, aws_secret_access_key=secret)
    return settings


def put_if_absent(uri: str, text: str, hadoop_conf=None, client=None) -> None:
    """Create `uri` with `text`; FileExistsError when the object already exists."""
    from botocore.exceptions import ClientError

    if client is None:
        import boto3

        client = boto3.client("s3", **client_settings(hadoop_conf))
    bucket, key = bucket_and_key(uri)
    try:
        client.put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"),
                          ContentType="application/json", IfNoneMatch="*")
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        # 412: the object exists; 409: a concurrent conditional write to the same key won.
        if code in ("PreconditionFailed", "ConditionalRequestConflict") or status in (409, 412):
            raise FileExistsError(uri) from None
        raise
