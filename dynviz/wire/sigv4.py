"""AWS Signature Version 4, checked the way DynamoDB checks it, when the server was
given credentials (``dynviz dynamodb --credentials FILE``).

Without credentials the endpoint accepts any signature (it still wants an
``Authorization`` header, as DynamoDB does); with them, every request must be signed
with one of the configured secret keys, or it gets DynamoDB's own refusal. The check is
the published algorithm (AWS General Reference, "Signature Version 4 signing process"),
as botocore computes it on the other side:

1. the *canonical request*: method, path, sorted query, the signed headers in lower
   case with their values' whitespace folded, the list of signed headers, and the
   SHA-256 of the body (or the ``x-amz-content-sha256`` header when sent);
2. the *string to sign*: the algorithm, ``x-amz-date``, the credential scope
   (``date/region/service/aws4_request``) and the canonical request's hash;
3. the *signing key*: HMAC-SHA256 chained from ``"AWS4" + secret`` through the scope's
   date, region and service and ``aws4_request``;
4. the signature is the hex HMAC of the string to sign with that key, compared in
   constant time.

Any region and either signing service is taken (the server is not in a region); a
request dated more than 15 minutes from the server's clock is refused as expired,
as DynamoDB refuses it. This module is pure: the caller passes the clock, the headers
and the body, and gets ``None`` or the :class:`~dynviz.wire.protocol.WireError` to
answer with.
"""

from __future__ import annotations

import configparser
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote

from dynviz.wire.protocol import WireError

ALGORITHM = "AWS4-HMAC-SHA256"
SKEW = dt.timedelta(minutes=15)
"""How far a request's date may be from the server's clock, as AWS allows."""
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True, slots=True)
class Credentials:
    """The key pairs a server accepts: access key id -> secret access key."""

    keys: Mapping[str, str]

    @classmethod
    def from_file(cls, path: str | Path) -> Credentials:
        """An AWS shared credentials file (``~/.aws/credentials``'s format): every
        profile's ``aws_access_key_id`` / ``aws_secret_access_key`` pair is accepted,
        so the file a client already uses can be the one the server checks against.
        Raises ``ValueError`` saying what is wrong with the file."""
        parser = configparser.ConfigParser(interpolation=None)
        try:
            with open(path, encoding="utf-8") as fh:
                parser.read_file(fh)
        except OSError as exc:
            raise ValueError(f"cannot read credentials file {path}: {exc.strerror or exc}") from None
        except (configparser.Error, UnicodeDecodeError) as exc:
            raise ValueError(f"credentials file {path} is not an AWS credentials file: {exc}") from None
        keys: dict[str, str] = {}
        for name in parser.sections():
            section = parser[name]
            key, secret = section.get("aws_access_key_id"), section.get("aws_secret_access_key")
            if key is None and secret is None:
                continue
            if not key or not secret:
                raise ValueError(f"credentials file {path}: profile [{name}] needs both aws_access_key_id "
                                 "and aws_secret_access_key")
            keys[key.strip()] = secret.strip()
        if not keys:
            raise ValueError(f"credentials file {path} has no profile with aws_access_key_id and "
                             "aws_secret_access_key")
        return cls(keys)


@dataclass(frozen=True, slots=True)
class Authorization:
    """A parsed ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
    Signature=...`` header."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


def parse_authorization(header: str) -> Authorization:
    """The header's parts, or DynamoDB's ``IncompleteSignatureException`` naming what
    is missing."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise WireError("IncompleteSignatureException",
                        f"Unsupported AWS 'algorithm': '{algorithm}'. Signature Version 4 ({ALGORITHM}) is required.")
    parts: dict[str, str] = {}
    for piece in rest.split(","):
        name, eq, value = piece.strip().partition("=")
        if eq:
            parts[name.strip()] = value.strip()
    missing = [p for p in ("Credential", "SignedHeaders", "Signature") if p not in parts]
    if missing:
        raise WireError("IncompleteSignatureException",
                        " ".join(f"Authorization header requires '{p}' parameter." for p in missing)
                        + f" Authorization={header}")
    scope = parts["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise WireError("IncompleteSignatureException",
                        f"Credential should be scoped to a valid region, not '{parts['Credential']}'. ")
    signed = tuple(h.strip().lower() for h in parts["SignedHeaders"].split(";") if h.strip())
    return Authorization(scope[0], scope[1], scope[2], scope[3], signed, parts["Signature"].lower())


def check(credentials: Credentials, method: str, path: str, query: str,
          headers: Mapping[str, Sequence[str]], body: bytes, now: dt.datetime) -> None:
    """Raise the ``WireError`` DynamoDB answers a wrongly signed request with.

    ``headers`` maps each header name, in lower case, to its values as received
    (a header may come more than once); ``now`` is the server's clock, in UTC.
    """
    values = headers.get("authorization")
    if not values:
        raise WireError("MissingAuthenticationTokenException", "Request is missing Authentication Token")
    auth = parse_authorization(values[0])
    if auth.access_key not in credentials.keys:
        raise WireError("UnrecognizedClientException", "The security token included in the request is invalid.")
    if "host" not in auth.signed_headers:
        raise WireError("InvalidSignatureException",
                        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    amz_date = _first(headers, "x-amz-date")
    if amz_date is None:
        raise WireError("IncompleteSignatureException",
                        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    try:
        when = dt.datetime.strptime(amz_date, _AMZ_DATE).replace(tzinfo=dt.UTC)
    except ValueError:
        raise WireError("IncompleteSignatureException",
                        f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") from None
    if abs(now - when) > SKEW:
        earliest, latest = (now - SKEW).strftime(_AMZ_DATE), (now + SKEW).strftime(_AMZ_DATE)
        wording = (f"is now earlier than {earliest} ({now.strftime(_AMZ_DATE)} - 15 min.)" if when < now
                   else f"is now later than {latest} ({now.strftime(_AMZ_DATE)} + 15 min.)")
        raise WireError("InvalidSignatureException", f"Signature expired: {amz_date} {wording}")
    if amz_date[:8] != auth.date:
        raise WireError("InvalidSignatureException",
                        f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                        f"from HTTP: '{auth.date}' != '{amz_date[:8]}', from '{amz_date}'.")
    expected = signature(credentials.keys[auth.access_key], auth, method, path, query, headers, body, amz_date)
    if not hmac.compare_digest(expected, auth.signature):
        raise WireError("InvalidSignatureException",
                        "The request signature we calculated does not match the signature you provided. Check "
                        "your AWS Secret Access Key and signing method. Consult the service documentation for "
                        "details.")


def signature(secret: str, auth: Authorization, method: str, path: str, query: str,
              headers: Mapping[str, Sequence[str]], body: bytes, amz_date: str) -> str:
    """The hex signature a client holding ``secret`` computes for this request."""
    payload = _first(headers, "x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join([
        method.upper(),
        quote(path or "/", safe="/~"),
        _canonical_query(query),
        "".join(f"{name}:{_header_value(headers.get(name, ()))}\n" for name in auth.signed_headers),
        ";".join(auth.signed_headers),
        payload,
    ])
    to_sign = "\n".join([ALGORITHM, amz_date, auth.scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"AWS4{secret}".encode(), auth.date)
    for part in (auth.region, auth.service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _first(headers: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0].strip() if values else None


def _header_value(values: Sequence[str]) -> str:
    return ",".join(" ".join(v.split()) for v in values)


def _canonical_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))
