"""The opaque context a get returns and the next put of that key takes back.

Dynamo (paper section 4.4) hands the client the versions' causal metadata as an
opaque context; the put over it supersedes exactly what the client saw. Section 5
adds the fastest replier, which coordinates the next write (read-your-writes). The
client holds the token, so it is signed with the cluster secret: a tampered context
could otherwise claim to have seen writes it never saw and silently delete them. It
also carries a digest of its key, so a context cannot be replayed on another key.

Wire form (urlsafe base64, no padding) of::

    format byte | payload | keyed-BLAKE2b(secret, format byte | payload), 12 bytes

payload: key digest (length byte + bytes), replier (uvarint len+1, 0 = none, then
UTF-8), actor table (uvarint count, each uvarint len + UTF-8), then vv and dots as
(uvarint actor index, uvarint counter) pairs, each list prefixed by its uvarint count.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from binascii import b2a_base64
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b, md5
from itertools import islice
from typing import Any, TypeVar

from dynviz.core.versions import CausalContext, Dot, Siblings, Version, Versioning

_FORMAT = 1
_TAG_BYTES = 12
_MAX_TOKEN_CHARS = 1 << 20
_B64 = re.compile(r"[A-Za-z0-9_-]+")
_DOMAIN = b"dynviz-context\x00"
_URLSAFE = bytes.maketrans(b"+/", b"-_")
K = TypeVar("K")
V = TypeVar("V")


class ContextError(ValueError):
    """A context the client sent cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Context:
    """What a get hands the client for its next put of the same key.

    Every put makes one (the context of its new version), so it is made like the
    client's results (client.py): no ``__slots__``, and an ``__init__`` that fills the
    fields with one dict update instead of an ``object.__setattr__`` per field."""

    causal: CausalContext
    replier: str | None = None
    """Node that replied fastest to the get: the next put's coordinator (section 5)."""
    key_digest: bytes = b""
    """First 8 bytes of md5(key), so a context can't be reused for another key."""

    def __init__(self, causal: CausalContext, replier: str | None = None, key_digest: bytes = b"") -> None:
        self.__dict__.update(causal=causal, replier=replier, key_digest=key_digest)


@lru_cache(maxsize=1 << 16)
def key_digest(key: bytes) -> bytes:
    """The digest a context of ``key`` carries."""
    return md5(key).digest()[:8]


def context_for(key: bytes, causal: CausalContext, replier: str | None) -> Context:
    """The context a get of ``key`` returns."""
    return Context(causal, replier, key_digest(key))


_keyed: dict[bytes, Any] = {}
"""secret -> a keyed BLAKE2b that has absorbed the domain: copying it is about half the
cost of keying a new one (the key fills a whole block), and a tag is made per put."""


def _tag(secret: bytes, body: bytes) -> bytes:
    # Keyed BLAKE2b is a MAC in one C call (RFC 7693 section 2.9); HMAC-SHA256 costs
    # several times more, and a tag is made on every get and put.
    keyed = _keyed.get(secret)
    if keyed is None:
        if len(_keyed) >= 64:  # secrets are per cluster: a handful in any process
            _keyed.clear()
        keyed = _keyed[secret] = blake2b(
            _DOMAIN, key=secret if len(secret) <= 64 else blake2b(secret).digest(), digest_size=_TAG_BYTES)
    h = keyed.copy()
    h.update(body)
    return h.digest()


def _uvarint(n: int, out: bytearray) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _text(s: str, out: bytearray) -> None:
    raw = s.encode("utf-8")
    _uvarint(len(raw), out)
    out += raw


def _uvarint_text(s: str, out: bytearray, extra: int) -> None:
    """``s`` as UTF-8 after its length plus ``extra`` (a uvarint): ``_text`` when
    ``extra`` is 0, the replier field when 1. Lengths under 128 are one byte, inline."""
    raw = s.encode("utf-8")
    n = len(raw) + extra
    if n < 0x80:
        out.append(n)
    else:
        _uvarint(n, out)
    out += raw


_verified: dict[tuple[str, bytes], Context] = {}
"""Tokens already verified, by (token, secret): every put decodes the token its client
got from a get, so remembering a few thousand saves a MAC and a parse per put. Only
tokens that passed the integrity check are kept, so the cache cannot admit a forgery."""
_VERIFIED_MAX = 8192


def _remember(cache: dict[K, V], key: K, value: V) -> None:
    """Add to a bounded cache, forgetting its older half when full (dicts keep insertion
    order). Clearing it all instead made every token in use miss at once, each miss a
    full parse and MAC; the older half is what a client is least likely to send back."""
    if len(cache) >= _VERIFIED_MAX:
        newer = dict(islice(cache.items(), _VERIFIED_MAX // 2, None))  # one pass in C, no del per key
        cache.clear()
        cache.update(newer)
    cache[key] = value


_encoded: dict[tuple[Context, bytes], str] = {}


def encode_context(ctx: Context, secret: bytes, fresh: bool = False) -> str:
    """A printable, signed token for ``ctx`` (see the module docstring).

    Encoding is deterministic, so repeated reads of an unchanged key reuse the token.
    ``fresh`` says the context was just made (a put's new version): no cached token
    can exist, so the cache is not consulted."""
    if fresh:
        return _encode(ctx, secret)
    token = _encoded.get((ctx, secret))
    if token is None:
        token = _encode(ctx, secret)
        _remember(_encoded, (ctx, secret), token)
    return token


_tokens: dict[tuple[bytes, tuple[Dot, ...], tuple[Dot, ...], str | None, bytes], str] = {}


def context_token(key: bytes, causal: CausalContext, replier: str | None, secret: bytes,
                  fresh: bool = False) -> str:
    """``encode_context(context_for(key, causal, replier), secret)``: the token every get
    and put returns. Cached on plain values (a tuple of tuples hashes and compares in C),
    so a read of an unchanged key builds no :class:`Context` and hashes no dataclass.
    ``fresh``: a put's new version, which no cached token can name."""
    if fresh:
        return _encode(Context(causal, replier, key_digest(key)), secret)  # context_for, inline
    cache_key = (key, causal.vv, causal.dots, replier, secret)
    token = _tokens.get(cache_key)
    if token is None:
        token = _encode(context_for(key, causal, replier), secret)
        _remember(_tokens, cache_key, token)
    return token


_read: dict[tuple[int, str | None], tuple[Version, bytes, bytes, str, str]] = {}
"""(id of a key's only version, replier) -> (that version, key, secret, versioning, token):
the token of a get whose answer is one version. The entry holds the version itself, so
the id cannot be reused while the entry lives."""


def read_token(key: bytes, siblings: Siblings, replier: str | None, versioning: Versioning,
               secret: bytes) -> str:
    """``context_token(key, versioning.context_of(siblings), replier, secret)``: the token a
    get returns. Replicas of an unchanged key hand back the very version object they
    store, so a key holding one version is looked up by that object's identity (an int
    and a name to hash), without computing its context (a new ``CausalContext``, ~10k
    instructions) or hashing it, on every read but the first."""
    versions = siblings.versions
    if len(versions) != 1:
        return context_token(key, versioning.context_of(siblings), replier, secret)
    version = versions[0]
    found = _read.get((id(version), replier))
    if (found is not None and found[0] is version and found[1] == key and found[2] == secret
            and found[3] == versioning.name):
        return found[4]
    token = context_token(key, versioning.context_of(siblings), replier, secret)
    _remember(_read, (id(version), replier), (version, key, secret, versioning.name, token))
    return token


_heads: dict[tuple[bytes, str | None], bytes] = {}
"""(key digest, replier) -> the body's first fields, as ``_encode`` writes them."""
_COUNTER_NO_DOTS = tuple(bytes((counter, 0)) for counter in range(0x80))
"""A counter under 128 (one byte), then an empty dot list: a fresh token's last bytes."""
_single: dict[str, bytes] = {}
"""actor -> the actor table and the vv's count of a dot-free context whose vv is that
actor alone, as ``_encode`` writes them (up to the counter)."""


def _encode(ctx: Context, secret: bytes) -> str:
    causal = ctx.causal
    vv, dots = causal.vv, causal.dots
    if not dots and len(vv) == 1 and vv[0][1] < 0x80:
        # The put's usual context (one actor, a small counter): the same bytes as the
        # general path below, from two cached pieces and the counter.
        actor, counter = vv[0]
        head = _heads.get((ctx.key_digest, ctx.replier))
        if head is None:
            head = bytes(_encode_head(ctx))
            _remember(_heads, (ctx.key_digest, ctx.replier), head)
        table = _single.get(actor)
        if table is None:
            part = bytearray((1,))
            _uvarint_text(actor, part, 0)
            part += b"\x01\x00"  # one pair, its actor index 0
            table = bytes(part)
            _remember(_single, actor, table)
        body = head + table + _COUNTER_NO_DOTS[counter]
        return _finish(body, ctx, secret)
    out = _encode_head(ctx)
    if not dots:
        # The common case: ``vv`` is sorted by actor, one entry each, so its actors are
        # the table in order and the i-th pair's actor index is i. Every put comes here:
        # one-byte lengths (nearly always) are written inline, without a call.
        size = len(vv)
        if size < 0x80:
            out.append(size)
        else:
            _uvarint(size, out)
        for a, _ in vv:
            raw = a.encode("utf-8")
            if len(raw) < 0x80:
                out.append(len(raw))
                out += raw
            else:
                _uvarint_text(a, out, 0)
        if size < 0x80:
            out.append(size)
        else:
            _uvarint(size, out)
        for i, (_, c) in enumerate(vv):
            if i < 0x80 and c < 0x80:  # one byte each (nearly always): no call
                out.append(i)
                out.append(c)
            else:
                _uvarint(i, out)
                _uvarint(c, out)
        out.append(0)  # no dots
    else:
        actors = sorted({a for a, _ in vv} | {a for a, _ in dots})
        index = {a: i for i, a in enumerate(actors)}
        _uvarint(len(actors), out)
        for a in actors:
            _text(a, out)
        for pairs in (vv, dots):
            _uvarint(len(pairs), out)
            for a, c in pairs:
                _uvarint(index[a], out)
                _uvarint(c, out)
    return _finish(bytes(out), ctx, secret)


def _encode_head(ctx: Context) -> bytearray:
    """Format byte, key digest and replier: the body's first fields."""
    out = bytearray((_FORMAT, len(ctx.key_digest)))
    out += ctx.key_digest
    if ctx.replier is None:
        out.append(0)
    else:
        _uvarint_text(ctx.replier, out, 1)
    return out


def _finish(body: bytes, ctx: Context, secret: bytes) -> str:
    """The token of ``body``: with its tag, in base64."""
    out = body + _tag(secret, body)
    # urlsafe_b64encode without its Python wrappers: the same bytes (the newline the
    # call adds goes with the padding; neither is a base64 digit).
    token = b2a_base64(out).rstrip(b"=\n").translate(_URLSAFE).decode("ascii")
    _remember(_verified, (token, secret), ctx)  # we just signed it: no need to verify it again
    return token


class _Reader:
    """Bounds-checked cursor over a payload; raises ``ContextError`` past its end."""

    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf = buf
        self.pos = pos

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.buf):
            raise _malformed("truncated")
        chunk = self.buf[self.pos : end]
        self.pos = end
        return chunk

    def uvarint(self) -> int:
        n = shift = 0
        while True:
            if self.pos >= len(self.buf) or shift > 63:
                raise _malformed("bad integer")
            b = self.buf[self.pos]
            self.pos += 1
            n |= (b & 0x7F) << shift
            if b < 0x80:
                return n
            shift += 7

    def text(self, n: int) -> str:
        try:
            return self.take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("bad text") from None


def _malformed(why: str) -> ContextError:
    return ContextError(
        f"context is malformed ({why}): pass back the context string a get returned, unchanged"
    )


def _parse(body: bytes) -> Context:
    r = _Reader(body, 1)
    digest = r.take(r.take(1)[0])
    n = r.uvarint()
    replier = None if n == 0 else r.text(n - 1)
    actors = [r.text(r.uvarint()) for _ in range(r.uvarint())]
    lists: list[list[Dot]] = []
    for _ in range(2):
        pairs: list[Dot] = []
        for _ in range(r.uvarint()):
            i, c = r.uvarint(), r.uvarint()
            if i >= len(actors) or c <= 0:
                raise _malformed("bad entry")
            pairs.append((actors[i], c))
        lists.append(pairs)
    if r.pos != len(body):
        raise _malformed("trailing bytes")
    vv, dots = lists
    return Context(CausalContext.of(dict(vv), dots), replier, digest)


def decode_context(token: str, secret: bytes, key: bytes | None = None) -> Context:
    """The context in ``token``; raises ``ContextError`` (and nothing else) when the
    token is malformed, fails its integrity check, or (given ``key``) was issued for
    another key."""
    ctx = _verified.get((token, secret)) if isinstance(token, str) else None
    if ctx is None:
        ctx = _verify(token, secret)
        _remember(_verified, (token, secret), ctx)
    if key is not None and ctx.key_digest and ctx.key_digest != key_digest(key):
        raise ContextError("context is for another key: get this key first and use its context")
    return ctx


def _verify(token: str, secret: bytes) -> Context:
    if not isinstance(token, str) or not token:
        raise _malformed("empty" if token == "" else "not a string")
    if len(token) > _MAX_TOKEN_CHARS:
        raise _malformed("too long")
    if not _B64.fullmatch(token):
        raise _malformed("unexpected characters")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise _malformed("not base64") from None
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise _malformed("not base64")  # non-canonical: e.g. an altered final character
    if len(raw) < 1 + _TAG_BYTES:
        raise _malformed("too short")
    if raw[0] != _FORMAT:
        raise _malformed(f"unknown format {raw[0]}")
    body, tag = raw[:-_TAG_BYTES], raw[-_TAG_BYTES:]
    if not hmac.compare_digest(tag, _tag(secret, body)):
        raise ContextError(
            "context failed its integrity check (tampered, or from another cluster): "
            "get the key again for a fresh context"
        )
    return _parse(body)
