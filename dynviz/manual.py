"""The learner as the network (issue 16): the cluster-level side of the choice commands
(``hold``, ``release``, ``deliver``, ``drop``, ``duplicate``, ``delay``, ``fire``).

The mechanics live in the simulator (dynviz/sim/network.py holds and hands over
messages, dynviz/sim/choices.py names messages and timers and fires timers); this module
checks what a user names against the cluster (a node that exists, a message that is
pending) and says what happened in words, raising :class:`~dynviz.cluster.ClusterError`
with a message a learner can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from dynviz.cluster import Cluster, ClusterError
from dynviz.core.units import MS
from dynviz.sim.choices import MESSAGE_ID, PendingMessage, PendingTimer, fire, message_id
from dynviz.sim.network import Hold
from dynviz.wording import plural


@dataclass(frozen=True, slots=True)
class Choice:
    """What one choice did: the message (or timer) it was about, and in words."""

    target: str
    text: str
    copy: str | None = None
    due: int | None = None


def _node(cluster: Cluster, name: str | None) -> str | None:
    if name is not None and name not in cluster.nodes:
        known = ", ".join(cluster.nodes)
        raise ClusterError(f"no node {name!r} (nodes: {known})")
    return name


def make_hold(cluster: Cluster, src: str | None, dst: str | None) -> Hold:
    """A hold on everything (both None), a node's inbox (``dst``) or a link."""
    return Hold(_node(cluster, src), _node(cluster, dst))


def hold(cluster: Cluster, src: str | None = None, dst: str | None = None) -> Choice:
    what = make_hold(cluster, src, dst)
    stopped = cluster.network.hold(what)
    on_wire = f"; {stopped} on the wire stopped" if stopped else ""
    return Choice("", f"holding {what.describe()}{on_wire}: nothing it covers is delivered until you choose "
                      "(deliver, drop, duplicate, delay ID; release)")


def release(cluster: Cluster, src: str | None = None, dst: str | None = None, every: bool = False) -> Choice:
    network = cluster.network
    if every:
        if not network.holds:
            raise ClusterError("nothing is held (hold starts a hold)")
        freed = network.release(None)
        return Choice("", f"released every hold: {_going(freed)}")
    what = make_hold(cluster, src, dst)
    if what not in network.holds:
        on = ", ".join(h.describe() for h in network.holds) or "nothing"
        raise ClusterError(f"{what.describe()} is not held (holding: {on})")
    freed = network.release(what)
    return Choice("", f"released {what.describe()}: {_going(freed)}")


def _going(count: int) -> str:
    return "nothing was held" if not count else f"{plural(count, 'held message')} {'goes' if count == 1 else 'go'} now"


def message_number(cluster: Cluster, text: str) -> int:
    match = MESSAGE_ID.fullmatch(text)
    if match is None:
        raise ClusterError(f"{text!r} is not a message id (like m42; 'network' lists them)")
    number = int(match[1])
    if cluster.network.find(number) is None:
        raise ClusterError(f"no pending message m{number} (it was delivered or lost; 'network' lists the "
                           "pending ones)")
    return number


def describe(message: PendingMessage) -> str:
    key = "" if message.key is None else f" {message.key.decode('utf-8', 'backslashreplace')}"
    return f"{message.id} {message.src}->{message.dst} {message.kind}{key}"


def _pending(cluster: Cluster, number: int) -> PendingMessage:
    found = cluster.network.find(number)
    assert found is not None  # message_number checked it
    src, dst, msg, sent, due, held = found
    return PendingMessage(message_id(number), number, src, dst, type(msg).__name__, getattr(msg, "key", None),
                          sent, due, held)


def deliver(cluster: Cluster, text: str) -> Choice:
    number = message_number(cluster, text)
    message = _pending(cluster, number)
    dropped = cluster.network.deliver_now(number)
    said = f"lost: {dropped}" if dropped else f"delivered to {message.dst}"
    return Choice(message.id, f"{describe(message)} {said}")


def drop(cluster: Cluster, text: str) -> Choice:
    number = message_number(cluster, text)
    message = _pending(cluster, number)
    cluster.network.drop_now(number)
    return Choice(message.id, f"{describe(message)} dropped")


def duplicate(cluster: Cluster, text: str) -> Choice:
    number = message_number(cluster, text)
    message = _pending(cluster, number)
    copy = f"m{cluster.network.duplicate(number)}"
    where = "held beside it" if message.held else "on the wire beside it"
    return Choice(message.id, f"{describe(message)} duplicated: {copy} is {where}", copy=copy)


def delay(cluster: Cluster, text: str, micros: int) -> Choice:
    number = message_number(cluster, text)
    message = _pending(cluster, number)
    due = cluster.network.delay(number, micros)
    return Choice(message.id, f"{describe(message)} delayed {micros / MS:g}ms", due=due)


def fire_timer(cluster: Cluster, text: str) -> Choice:
    """Fire a timer at its own moment: the clock moves on to it (what else was due by
    then runs late, when time next runs), so a deadline it checks has passed."""
    before = cluster.now
    try:
        timer: PendingTimer = fire(cluster.scheduler, cluster.runtimes, text)
    except LookupError as exc:
        raise ClusterError(str(exc.args[0])) from None
    cluster.trace.add(("choose", cluster.now, "fire", timer.id))
    early = timer.due - before
    moved = f"; the clock moved {early / MS:g}ms on to it" if early > 0 else ""
    return Choice(timer.id, f"{timer.id} ({timer.node} {timer.purpose}) fired{moved}")
