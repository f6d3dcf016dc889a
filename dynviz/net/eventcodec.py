"""A node process's events as wire data, in two forms.

``event_json`` is the plain form (every field as JSON-ready data, plus the event's
type, kind and text) that the admin ``events`` op answers with, for people and
scripts. ``encode_event``/``decode_event`` is the faithful form the ``feed`` op uses:
the attached TUI rebuilds each event as the very dataclass the simulator emits, so its
panels draw a live TCP cluster exactly as they draw the simulator. Event types are
found by name in ``dynviz.events.EVENT_TYPES``; each one's field codecs are compiled
once from its type hints with the message codec's ``compile_type``.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, NamedTuple

from dynviz.core.versions import Version
from dynviz.events import EVENT_TYPES, Event
from dynviz.net.codec import CodecError, Decoder, Encoder, compile_type


def _show(b: bytes | None) -> str | None:
    return None if b is None else b.decode("utf-8", errors="backslashreplace")


def _plain(value: object) -> Any:
    """An event field as JSON-ready data (bytes as text, dataclasses as dicts)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return _show(value)
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def event_json(seq: int, event: Event) -> dict[str, Any]:
    doc = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    doc.update(seq=seq, type=type(event).__name__, kind=event.kind, text=event.describe())
    return doc


# -- the faithful form (the attached TUI rebuilds them as the simulator's dataclasses) ---------


class _EventCodec(NamedTuple):
    cls: type[Event]
    names: list[str]
    encoders: list[Encoder]
    decoders: list[Decoder]


_EVENT_CODECS: dict[str, _EventCodec] = {}


def _event_codec(name: str) -> _EventCodec | None:
    """The field codecs of event type ``name``, compiled from its type hints with the
    wire codec (a field typed ``object`` carries a ``Version``); None for a name that
    is no event type, or one whose fields cannot cross the wire."""
    found = _EVENT_CODECS.get(name)
    if found is not None:
        return found
    cls = EVENT_TYPES.get(name)
    if cls is None:
        return None
    try:
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        pairs = [compile_type(Version | None if hints[n] is object else hints[n]) for n in names]
    except (TypeError, NameError):
        return None
    codec = _EventCodec(cls, names, [e for e, _ in pairs], [d for _, d in pairs])
    _EVENT_CODECS[name] = codec
    return codec


def encode_event(seq: int, event: Event) -> list[Any]:
    """``[seq, type name, [field values]]`` (JSON-ready), or ``[seq, type name, None, text]``
    for an event the codec cannot carry (its ``describe()`` text and kind survive)."""
    name = type(event).__name__
    codec = _event_codec(name)
    if codec is not None:
        try:
            return [seq, name, [e(getattr(event, n)) for e, n in zip(codec.encoders, codec.names, strict=True)]]
        except (TypeError, ValueError, AttributeError):
            pass
    return [seq, name, None, event.describe(), event.kind, event.time]


def decode_event(doc: Any) -> tuple[int, Event] | None:
    """``(seq, event)`` from :func:`encode_event`'s form; None for one that cannot be
    rebuilt (an unknown type, damaged fields)."""
    if type(doc) is not list or len(doc) < 3 or type(doc[0]) is not int or type(doc[1]) is not str:
        return None
    codec = _event_codec(doc[1])
    if codec is None or type(doc[2]) is not list:
        return None
    if len(doc[2]) != len(codec.names):
        return None
    try:
        values = [d(v, f"{doc[1]}.{n}") for d, v, n in zip(codec.decoders, doc[2], codec.names, strict=True)]
    except (CodecError, RecursionError):
        return None
    return doc[0], codec.cls(*values)
