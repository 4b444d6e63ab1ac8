"""AWS calls for bootstrap: each error becomes a :class:`BootstrapError` naming the IAM action and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    SSOError,
    TokenRetrievalError,
)

from .report import EXIT_ERROR, BootstrapError

# Codes AWS uses for "you are not allowed to do this".
ACCESS_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "403",
    "Forbidden",
    "UnauthorizedOperation",
    "AllAccessDisabled",
}
# Codes AWS uses for "these credentials are not valid".
_BAD_CREDENTIALS = {
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
}
_CREDENTIALS_HELP = (
    "configure AWS credentials (`aws configure`, `aws sso login --profile NAME` then --profile NAME, "
    "or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and run again"
)

T = TypeVar("T")


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _error_text(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "") or error_code(error))


def aws_call(action: str, resource: str, call: Callable[..., T], /, **kwargs: Any) -> T:
    """Call ``call(**kwargs)``; turn AWS errors into :class:`BootstrapError` naming ``action``
    (the IAM action, e.g. ``s3:PutBucketVersioning``) and ``resource``."""
    try:
        return call(**kwargs)
    except ClientError as error:
        code = error_code(error)
        if code in ACCESS_DENIED:
            raise BootstrapError(
                f"access denied: {action} on {resource}.\n"
                f"Grant {action} on {resource} to the identity running bootstrap "
                "(or run it with credentials that have it), then run again."
            ) from None
        if code in _BAD_CREDENTIALS:
            raise BootstrapError(
                f"AWS rejected the credentials ({code}: {_error_text(error)}); {_CREDENTIALS_HELP}."
            ) from None
        raise BootstrapError(
            f"unexpected AWS error from {action} on {resource}: {code}: {_error_text(error)}",
            EXIT_ERROR,
        ) from None
    except (NoCredentialsError, PartialCredentialsError, CredentialRetrievalError) as error:
        raise BootstrapError(f"no usable AWS credentials ({error}); {_CREDENTIALS_HELP}.") from None
    except (SSOError, TokenRetrievalError) as error:
        raise BootstrapError(
            f"the AWS SSO session is missing or expired ({error}); run `aws sso login` and run again."
        ) from None
    except EndpointConnectionError as error:
        raise BootstrapError(
            f"cannot reach AWS ({error}); check the network and that --region is a valid region."
        ) from None
    except NoRegionError:
        raise BootstrapError("no AWS region: pass --region or set AWS_REGION.") from None
    except BotoCoreError as error:
        raise BootstrapError(f"unexpected error from {action} on {resource}: {error}", EXIT_ERROR) from None


def aws_read(
    action: str, resource: str, missing: set[str], call: Callable[..., T], /, **kwargs: Any
) -> T | None:
    """Like :func:`aws_call` for a read, but ``None`` when the AWS error code is one of ``missing``
    (the setting does not exist yet)."""
    try:
        return call(**kwargs)
    except ClientError as error:
        if error_code(error) in missing:
            return None
        return aws_call(action, resource, reraise(error))


def reraise(error: Exception) -> Callable[[], Any]:
    def call() -> Any:
        raise error

    return call
