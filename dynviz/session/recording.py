"""Session files: what a user did to a cluster, as data, so anyone can replay it.

A session file is JSON Lines (UTF-8, one JSON object per line):

1. a **header**::

     {"type": "header", "format": "dynviz-session", "version": 1, "dynviz": "0.1.0",
      "seed": 0, "cluster": "cluster nodes=n1,n2,n3 n=3 r=2 w=2 ..."}

   ``cluster`` is the text of a ``cluster`` command (the one command language, parsed by
   :mod:`dynviz.commands`); with ``seed`` it fixes the cluster the session starts on.
2. one line per **command**, in the order it was issued::

     {"type": "command", "time_us": 1250000, "events": 4711, "origin": "typed",
      "text": "kill n3"}

   ``time_us`` is the virtual time it was issued at; ``events`` (optional, may be null)
   is how many simulation events had run by then, which pins the exact instant even
   when several events share one microsecond; ``origin`` says where it came from
   (:data:`ORIGINS`). Commands of origin ``setup`` ran synchronously (``Executor.execute``:
   requests run to their answer, as the app's preload does); every other command was
   issued the way the TUI issues it (``Executor.submit``: requests complete later).
3. a **footer** (absent when the recording was cut short, e.g. by a crash)::

     {"type": "footer", "time_us": 9000000, "events": 80000, "commands": 42,
      "digest": "<trace digest>", "state_digest": "<state digest>"}

Virtual time never goes backwards, except right after a ``cluster`` command, which
builds a new cluster whose clock starts again at zero.

The file is data: it is parsed with :func:`json.loads` and every command's text is
parsed again by the one command parser, never evaluated or unpickled. Anything that is
not exactly this shape is refused with a :class:`SessionError` whose message is one
line naming the line number. Lesson-only commands (``wait``, ``pause``, ``expect``) and
clusters on disk (``storage=sqlite``, ``dir=``) are refused too: replaying a file may
run commands on a simulated cluster and nothing else.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, Any

from dynviz import __version__
from dynviz import commands as c
from dynviz.cluster import Cluster, ClusterConfig, ClusterError
from dynviz.wording import plural

FORMAT = "dynviz-session"
VERSION = 1
ORIGINS: tuple[str, ...] = ("typed", "key", "palette", "mouse", "workload", "setup", "script",
                            "lesson")
"""Where a command came from: the command line, a key binding, the command palette, a
mouse click, the app's background workload, the app's synchronous startup writes
(``setup``), a script or a lesson."""

MAX_LINE_BYTES = 4 * 1024 * 1024  # a 1 MiB value, quoted and escaped, fits easily
_LESSON_ONLY = (c.WaitUntil, c.Pause, c.Expect)


class SessionError(ValueError):
    """A session file (or a recording request) is not a valid session; ``str`` is one
    line and names the file line when there is one."""

    def __init__(self, message: str, line: int | None = None) -> None:
        message = " ".join(str(message).split())
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class Header:
    format: str
    version: int
    dynviz: str
    seed: int
    cluster: str

    def config(self) -> ClusterConfig:
        """The cluster the session starts on (its ``cluster`` line with the header seed)."""
        return header_config(self.cluster, self.seed)


@dataclass(frozen=True, slots=True)
class RecordedCommand:
    time: int
    text: str
    origin: str
    command: c.Command
    events: int | None = None
    line: int = 0  # where it is in the file (0 when it was not read from one)


@dataclass(frozen=True, slots=True)
class Footer:
    time: int
    events: int | None
    commands: int
    digest: str
    state_digest: str


@dataclass(frozen=True, slots=True)
class Session:
    header: Header
    commands: list[RecordedCommand]
    footer: Footer | None
    path: str = ""

    @property
    def end_time(self) -> int:
        """Where a replay stops: the footer's time, else the last command's."""
        if self.footer is not None:
            return self.footer.time
        return self.commands[-1].time if self.commands else 0


# -- cluster lines -----------------------------------------------------------------------

_RENDERED = ("nodes", "n", "r", "w", "strategy", "partitions", "vnodes", "versioning", "resolver",
             "latency", "loss", "seeds", "handoff", "readrepair", "antientropy", "routing")


def cluster_line(config: ClusterConfig) -> str:
    """``config`` as a ``cluster`` command (without its seed, which the header holds).

    Raises :class:`SessionError` when the config has settings the command language
    cannot express (timeouts, a secret, on-disk storage): such a cluster cannot be
    recorded faithfully."""
    default = ClusterConfig()
    for f in fields(ClusterConfig):
        if f.name not in _RENDERED and f.name != "seed" and getattr(config, f.name) != getattr(default, f.name):
            raise SessionError(f"cannot record a cluster whose {f.name} is not the default "
                               f"(the command language has no option for it)")
    parts = ["cluster", "nodes=" + ",".join(config.nodes), f"n={config.n}", f"r={config.r}",
             f"w={config.w}", f"strategy={config.strategy}"]
    if config.partitions is not None:
        parts.append(f"partitions={config.partitions}")
    parts += [f"vnodes={config.vnodes}", f"versioning={config.versioning}",
              f"resolver={config.resolver}", f"latency={config.latency[0]}us..{config.latency[1]}us",
              "loss=" + (f"{config.loss:.17f}".rstrip("0").rstrip(".") or "0")]
    if config.seeds:
        parts.append("seeds=" + ",".join(config.seeds))
    parts += [f"handoff={'on' if config.handoff else 'off'}",
              f"readrepair={'on' if config.readrepair else 'off'}",
              f"antientropy={'on' if config.antientropy else 'off'}", f"routing={config.routing}"]
    line = " ".join(parts)
    if header_config(line, config.seed) != config:
        raise SessionError(f"the cluster config does not survive as a command line: {line}")
    return line


def header_config(text: str, seed: int, line: int | None = None) -> ClusterConfig:
    """The ClusterConfig of a header's ``cluster`` line and seed (validated)."""
    try:
        command = c.parse_line(text)
    except c.CommandError as exc:
        raise SessionError(f"the header's cluster is not a cluster command: {exc.message}", line) from None
    if not isinstance(command, c.Cluster):
        raise SessionError("the header's cluster must be a 'cluster ...' command line", line)
    _refuse_disk(command, line)
    given = command.get("seed")
    if given is not None and given != seed:
        raise SessionError(f"the header's cluster says seed={given} but its seed is {seed}", line)
    try:
        return replace(ClusterConfig.from_options(dict(command.options)), seed=seed)
    except ClusterError as exc:
        raise SessionError(f"the header's cluster is not valid: {exc}", line) from None


def _refuse_disk(command: c.Command, line: int | None) -> None:
    if isinstance(command, c.Cluster) and (command.get("storage") == "sqlite" or command.get("dir") is not None):
        raise SessionError("a session cannot build a cluster on disk (storage=sqlite/dir=); "
                           "sessions replay in memory", line)


def check_command(text: str, line: int | None = None) -> c.Command:
    """Parse one recorded command with the one parser; refuse anything else."""
    if not isinstance(text, str):
        raise SessionError("the command text must be a string", line)
    try:
        command = c.parse_line(text)
    except c.CommandError as exc:
        raise SessionError(f"not a command: {exc.message} (column {exc.column})", line) from None
    if command is None:
        raise SessionError("not a command: the text is blank or only a comment", line)
    if isinstance(command, _LESSON_ONLY):
        raise SessionError(f"'{command.name}' is for lessons; a session holds only commands "
                           f"that act on the cluster", line)
    _refuse_disk(command, line)
    return command


# -- writing ---------------------------------------------------------------------------


def _dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class Recorder:
    """Writes a session file as it goes: each line is flushed when written, so a crash
    leaves a prefix that still loads (without a footer).

    The app calls :meth:`command` for every command it carries out (typed, bound to a
    key, from the palette or a click, and each operation of its background workload),
    then :meth:`close` with the cluster to write the footer. Pass ``executor`` to let the
    recorder read the simulation's event count itself, which pins each command to the
    exact event it followed (recommended: with time alone, a command issued between two
    events of the same microsecond cannot be placed exactly).
    """

    def __init__(self, path: str | os.PathLike[str] | IO[str], *, seed: int,
                 cluster: str | ClusterConfig, executor: Any = None) -> None:
        line = cluster if isinstance(cluster, str) else cluster_line(cluster)
        header_config(line, seed)  # validate before writing anything
        self.path: Path | None
        self._file: IO[str]
        if isinstance(path, (str, os.PathLike)):
            self.path = Path(path)
            self._file = open(self.path, "w", encoding="utf-8", newline="\n")
        else:  # an open text stream: written to, never closed by us
            self.path = None
            self._file = path
        self.executor = executor
        self.count = 0
        self.closed = False
        self._last_time = 0
        self._write({"type": "header", "format": FORMAT, "version": VERSION, "dynviz": __version__,
                     "seed": seed, "cluster": line})

    @classmethod
    def for_executor(cls, path: str | os.PathLike[str] | IO[str], executor: Any) -> Recorder:
        """A recorder for ``executor``'s current cluster (config and seed taken from it)."""
        config = executor.cluster.config
        return cls(path, seed=config.seed, cluster=config, executor=executor)

    def _write(self, obj: dict[str, Any]) -> None:
        if self.closed:
            raise SessionError("the recording is closed")
        self._file.write(_dump(obj) + "\n")
        self._file.flush()

    def command(self, time_us: int, text: str, origin: str, events: int | None = None) -> None:
        """Record that ``text`` was issued at virtual ``time_us`` (from ``origin``)."""
        command = check_command(text)
        if origin not in ORIGINS:
            raise SessionError(f"unknown origin {origin!r}; expected one of: {', '.join(ORIGINS)}")
        if events is None and self.executor is not None:
            events = self.executor.cluster.scheduler.events_run
        if time_us < self._last_time:
            raise SessionError(f"virtual time went backwards ({time_us} < {self._last_time} µs)")
        self._last_time = 0 if isinstance(command, c.Cluster) else time_us
        self._write({"type": "command", "time_us": int(time_us), "events": events, "origin": origin,
                     "text": text.strip()})
        self.count += 1

    def record(self, cluster: Cluster, text: str, origin: str) -> None:
        """Record ``text`` issued now on ``cluster`` (time and event count read from it)."""
        self.command(cluster.now, text, origin, cluster.scheduler.events_run)

    def close(self, cluster: Cluster | None = None) -> None:
        """Write the footer (digests of ``cluster`` as it is now) and close the file.
        Without a cluster the file is closed footless, like a crash would leave it."""
        if self.closed:
            return
        if cluster is not None:
            self._write({"type": "footer", "time_us": cluster.now, "events": cluster.scheduler.events_run,
                         "commands": self.count, "digest": cluster.digest(),
                         "state_digest": cluster.state_digest()})
        self.closed = True
        if self.path is not None:
            self._file.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.closed:
            self.close()


def write_session(session: Session, path: str | os.PathLike[str]) -> None:
    """Write ``session`` (header, commands, footer if any) to ``path``."""
    h = session.header
    lines = [{"type": "header", "format": h.format, "version": h.version, "dynviz": h.dynviz,
              "seed": h.seed, "cluster": h.cluster}]
    lines += [{"type": "command", "time_us": r.time, "events": r.events, "origin": r.origin, "text": r.text}
              for r in session.commands]
    if session.footer is not None:
        f = session.footer
        lines.append({"type": "footer", "time_us": f.time, "events": f.events, "commands": f.commands,
                      "digest": f.digest, "state_digest": f.state_digest})
    Path(path).write_text("".join(_dump(x) + "\n" for x in lines), encoding="utf-8")


# -- reading ---------------------------------------------------------------------------

_HEADER_FIELDS = {"type": str, "format": str, "version": int, "dynviz": str, "seed": int, "cluster": str}
_COMMAND_FIELDS = {"type": str, "time_us": int, "events": (int, type(None)), "origin": str, "text": str}
_FOOTER_FIELDS = {"type": str, "time_us": int, "events": (int, type(None)), "commands": int, "digest": str,
                  "state_digest": str}
_OPTIONAL = {"events"}
_HEX = set("0123456789abcdef")


def _fields(obj: Any, spec: dict[str, Any], what: str, line: int) -> None:
    if not isinstance(obj, dict):
        raise SessionError(f"expected a JSON object ({what}), got {type(obj).__name__}", line)
    for name in obj:
        if name not in spec:
            raise SessionError(f"unknown field {name!r} in the {what}", line)
    for name, types in spec.items():
        if name not in obj:
            if name in _OPTIONAL:
                continue
            raise SessionError(f"the {what} has no {name!r} field", line)
        value = obj[name]
        if isinstance(value, bool) or not isinstance(value, types):
            want = "a whole number" if types is int else "a string" if types is str else "a whole number or null"
            raise SessionError(f"field {name!r} of the {what} must be {want}, got {json.dumps(value)[:40]}", line)
        if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value < 1 << 62:
            raise SessionError(f"field {name!r} of the {what} is out of range: {value}", line)


def _digest(value: str, name: str, line: int) -> None:
    if len(value) != 64 or not set(value) <= _HEX:
        raise SessionError(f"field {name!r} of the footer is not a sha256 hex digest", line)


def load_session(path: str | os.PathLike[str]) -> Session:
    """Read and validate a session file; any problem is a one-line :class:`SessionError`."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise SessionError(f"session file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise SessionError(f"session file {str(path)!r} is a directory") from None
    except OSError as exc:
        raise SessionError(f"cannot read session file {str(path)!r}: {exc.strerror}") from None
    return parse_session(data, str(path))


def parse_session(data: bytes, path: str = "") -> Session:
    """Validate the bytes of a session file (see the module docstring for the format)."""
    if not data:
        raise SessionError("the file is empty; expected a session header", 1)
    raw_lines = data.split(b"\n")
    if raw_lines[-1] == b"":
        raw_lines.pop()
    header: Header | None = None
    commands: list[RecordedCommand] = []
    footer: Footer | None = None
    last_time = 0
    last_events: int | None = None
    for number, raw in enumerate(raw_lines, start=1):
        if len(raw) > MAX_LINE_BYTES:
            raise SessionError(f"line is longer than {MAX_LINE_BYTES} bytes", number)
        if b"\x00" in raw:
            raise SessionError("binary data (a NUL byte); a session file is UTF-8 JSON text", number)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SessionError(f"not UTF-8 text (bad byte at column {exc.start + 1})", number) from None
        text = text.removesuffix("\r")
        if not text.strip():
            raise SessionError("blank line; every line of a session file is one JSON object", number)
        try:
            obj = json.loads(text, parse_constant=_no_constant)
        except (json.JSONDecodeError, ValueError) as exc:
            if header is None:
                instead = command_file_advice(data, path)
                if instead:
                    raise SessionError(instead) from None
            message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            column = exc.colno if isinstance(exc, json.JSONDecodeError) else 1
            cut = " (the file looks truncated)" if number == len(raw_lines) and not data.endswith(b"\n") else ""
            raise SessionError(f"not valid JSON: {message} at column {column}{cut}", number) from None
        kind = obj.get("type") if isinstance(obj, dict) else None
        if footer is not None:
            raise SessionError("a line after the footer; the footer must be the last line", number)
        if header is None:
            if kind != "header":
                raise SessionError("expected the session header first (\"type\": \"header\")", number)
            _fields(obj, _HEADER_FIELDS, "header", number)
            if obj["format"] != FORMAT:
                raise SessionError(f"unknown format {obj['format'][:40]!r}; expected {FORMAT!r}", number)
            if obj["version"] != VERSION:
                raise SessionError(f"session format version {obj['version']} is not supported "
                                   f"(this dynviz reads version {VERSION})", number)
            header_config(obj["cluster"], obj["seed"], number)
            header = Header(obj["format"], obj["version"], obj["dynviz"], obj["seed"], obj["cluster"])
            continue
        if kind == "command":
            _fields(obj, _COMMAND_FIELDS, "command", number)
            if obj["origin"] not in ORIGINS:
                raise SessionError(f"unknown origin {obj['origin'][:40]!r}; expected one of: "
                                   f"{', '.join(ORIGINS)}", number)
            command = check_command(obj["text"], number)
            time, events = obj["time_us"], obj.get("events")
            if time < last_time:
                raise SessionError(f"virtual time goes backwards ({time} µs after {last_time} µs)", number)
            if events is not None and last_events is not None and events < last_events:
                raise SessionError(f"the event count goes backwards ({events} after {last_events})", number)
            commands.append(RecordedCommand(time, obj["text"], obj["origin"], replace(command, line=number),
                                            events, number))
            if isinstance(command, c.Cluster):  # a new cluster: its clock starts at zero
                last_time, last_events = 0, None
            else:
                last_time = time
                last_events = events if events is not None else last_events
            continue
        if kind == "footer":
            _fields(obj, _FOOTER_FIELDS, "footer", number)
            _digest(obj["digest"], "digest", number)
            _digest(obj["state_digest"], "state_digest", number)
            if obj["time_us"] < last_time:
                raise SessionError(f"the footer's time {obj['time_us']} µs is before the last "
                                   f"command's ({last_time} µs)", number)
            if obj["commands"] != len(commands):
                raise SessionError(f"the footer counts {plural(obj['commands'], 'command')} but the file "
                                   f"has {len(commands)}", number)
            footer = Footer(obj["time_us"], obj.get("events"), obj["commands"], obj["digest"],
                            obj["state_digest"])
            continue
        if kind == "header":
            raise SessionError("a second header; a session file has exactly one", number)
        raise SessionError(f"unknown line type {json.dumps(kind)[:40]}; expected command or footer", number)
    assert header is not None
    return Session(header, commands, footer, path)


def command_file_advice(data: bytes, path: str = "") -> str | None:
    """When ``data`` (not JSON) is a command file rather than a session, a message saying
    so and which subcommand runs it; None when it does not look like one.

    A ``.dyn`` file, or text whose every line parses as a command, is a command file:
    ``dynviz run`` executes it (``say`` included), ``dynviz lesson`` when it uses what
    only a lesson can do (``pause``, ``expect``, ``wait``). Saying "not valid JSON" to someone who passed the
    wrong kind of file does not tell them what to do."""
    import shlex

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    commands: list[c.Command] = []
    bad = 0
    for number, line in enumerate(text.splitlines()[:10_000], start=1):
        try:
            command = c.parse_line(line.removesuffix("\r"), number)
        except c.CommandError:
            bad += 1
            continue
        if command is not None:
            commands.append(command)
    if not path.lower().endswith(".dyn") and (bad or not commands):
        return None
    name = shlex.quote(path) if path else "FILE"
    words = sorted({command.name for command in commands if isinstance(command, _LESSON_ONLY)})
    if words:
        return (f"a lesson (it uses {', '.join(words)}), not a recorded session (.jsonl): open it with "
                f"'dynviz lesson {name}' (add --check to run it headless)")
    also = (f" (or 'dynviz lesson {name}' to read its narration in the app)"
            if any(isinstance(command, c.Say) for command in commands) else "")
    return f"a command file, not a recorded session (.jsonl): run it with 'dynviz run {name}'{also}"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")
