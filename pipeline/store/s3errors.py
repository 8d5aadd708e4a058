"""boto3's failures, turned into one StoreError line with the fix.

A host who mistypes a bucket, forgets to export a key, or points at a
server that is down should read what is wrong and what to do, never a
botocore traceback. This is the one place that knows the S3 error codes.
"""

from __future__ import annotations

from types import ModuleType

from pipeline.errors import StoreError

_CREDENTIALS = frozenset({
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken",
    "TokenRefreshRequired", "InvalidClientTokenId", "UnrecognizedClientException",
})
_REGION = frozenset({"AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException"})
_DENIED = frozenset({"AccessDenied", "Forbidden", "AllAccessDisabled", "403"})
_PRECONDITION = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412"})
_CRED_FIX = (
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) in the environment; "
    "castline never reads keys from config.toml"
)


def _exceptions() -> ModuleType:
    """botocore's exceptions, imported when a failure is looked at: by then
    an S3Store made boto3 load, and importing castline never does."""
    from botocore import exceptions

    return exceptions


def boto_errors() -> tuple[type[Exception], ...]:
    """What boto3 raises for a failed request: ``except boto_errors() as err``."""
    exceptions = _exceptions()
    return exceptions.ClientError, exceptions.BotoCoreError


def _code(err: Exception) -> tuple[str, int]:
    if not isinstance(err, _exceptions().ClientError):
        return "", 0
    return (
        str(err.response.get("Error", {}).get("Code", "")),
        int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0),
    )


def is_missing(err: Exception) -> bool:
    """The object (not the bucket) is not there."""
    code, status = _code(err)
    return code in ("NoSuchKey", "404", "NotFound") or (status == 404 and code != "NoSuchBucket")


def is_precondition_failed(err: Exception) -> bool:
    """A conditional write (If-Match / If-None-Match) was refused."""
    code, status = _code(err)
    return code in _PRECONDITION or status in (409, 412) and code != "BucketAlreadyExists"


def translate(
    err: Exception, *, store: str, bucket: str, endpoint: str | None, key: str | None, action: str
) -> StoreError:
    """The StoreError for a boto3 failure during ``action`` on ``key``."""
    where = endpoint or "AWS S3"
    code, status = _code(err)
    exc = _exceptions()

    def error(message: str, fix: str) -> StoreError:
        return StoreError(message, path=store, field=key, fix=fix)

    if isinstance(err, (exc.NoCredentialsError, exc.PartialCredentialsError, exc.CredentialRetrievalError)):
        return error("no S3 credentials found", _CRED_FIX)
    if isinstance(err, (exc.EndpointConnectionError, exc.ConnectTimeoutError, exc.ConnectionClosedError)):
        return error(
            f"cannot reach the S3 endpoint {where}",
            "check storage.endpoint_url and that the server is running and reachable",
        )
    if isinstance(err, exc.ReadTimeoutError):
        return error(f"the S3 endpoint {where} stopped answering ({action})", "try again later")
    if code in _CREDENTIALS:
        return error(f"{where} refused the credentials ({code})", "check them: " + _CRED_FIX)
    if code == "NoSuchBucket" or (status == 404 and action == "check"):
        return error(
            f"bucket {bucket} does not exist at {where}",
            "create the bucket, or fix the bucket in storage.url and storage.endpoint_url",
        )
    if code in _REGION or status == 301:
        return error(f"bucket {bucket} is in another region ({code or status})", "set storage.region to the bucket's region")
    if code in _DENIED or status == 403:
        return error(
            f"access denied ({action})",
            f"check the credentials ({_CRED_FIX}) and that they may list, read and write bucket {bucket}",
        )
    if status >= 500 or status == 429 or code in ("SlowDown", "Throttling", "RequestLimitExceeded"):
        return error(
            f"{where} kept failing ({code or status}) after retries ({action})",
            "try again later; lower storage.max_concurrency if the store throttles",
        )
    detail = code or type(err).__name__
    return error(f"{action} failed ({detail}): {err}", "check the [storage] settings in config.toml")
