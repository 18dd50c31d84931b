"""Signed, expiring tokens for links that work without signing in (acknowledgements,
the customer view): `purpose.payload.expiry.signature`, HMAC-SHA256 with the
installation's secret. The purpose is signed too, so a token for one use is refused
for another; the signature is compared in constant time."""

from __future__ import annotations

import base64
import hashlib
import hmac

from slaguard.domain.errors import AuthenticationError

__all__ = ["sign", "verify"]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: bytes, message: str) -> str:
    return _b64(hmac.new(secret, message.encode(), hashlib.sha256).digest()[:20])


def sign(secret: bytes, purpose: str, payload: str, *, expires_us: int) -> str:
    body = f"{_b64(payload.encode())}.{expires_us}"
    return f"{body}.{_mac(secret, f'{purpose}.{body}')}"


def verify(secret: bytes, purpose: str, token: str, *, now: int) -> str:
    """The payload of a valid, unexpired token; AuthenticationError otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        raise AuthenticationError("not a valid link")
    body = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _mac(secret, f"{purpose}.{body}")):
        raise AuthenticationError("not a valid link")
    if int(parts[1]) < now:
        raise AuthenticationError("this link has expired")
    try:
        return _unb64(parts[0]).decode()
    except (ValueError, UnicodeDecodeError):
        raise AuthenticationError("not a valid link") from None
