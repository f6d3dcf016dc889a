"""One protocol-settings type: every config extends it, with one set of defaults and
one validation (a default or a check cannot drift between the simulator, a TCP node and
the attached app)."""

from __future__ import annotations

from dataclasses import fields

import pytest

from dynviz.cluster import ClusterConfig, ClusterError
from dynviz.core.settings import ProtocolSettings, SettingsError, check_quorum
from dynviz.net.process import NodeOptions
from dynviz.tui.attach import AttachedConfig

CONFIGS = (ClusterConfig, NodeOptions, AttachedConfig)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.__name__)
def test_every_config_extends_the_protocol_settings_with_their_defaults(config: type) -> None:
    assert issubclass(config, ProtocolSettings)
    mine = {f.name: f for f in fields(config)}
    for f in fields(ProtocolSettings):
        assert mine[f.name].default == f.default, f"{config.__name__} redefines {f.name}"


def test_protocol_returns_just_the_settings_a_node_is_given() -> None:
    config = ClusterConfig(nodes=("a", "b", "c"), n=3, r=1, w=3, replica_timeout=70_000, seed=4)
    protocol = config.protocol()
    assert type(protocol) is ProtocolSettings
    assert (protocol.n, protocol.r, protocol.w, protocol.replica_timeout) == (3, 1, 3, 70_000)
    assert ProtocolSettings().protocol() == ProtocolSettings()


@pytest.mark.parametrize("n, r, w", [(3, 0, 2), (3, 4, 2), (3, 2, 0), (2, 2, 3)])
def test_the_quorum_rule_is_checked_once_for_everyone(n: int, r: int, w: int) -> None:
    with pytest.raises(SettingsError):
        check_quorum(n, r, w)
    with pytest.raises(SettingsError):
        ProtocolSettings(n=n, r=r, w=w)
    with pytest.raises(ClusterError, match="need 1 <= r <= n"):
        ClusterConfig(nodes=("a", "b", "c", "d"), n=n, r=r, w=w)
    with pytest.raises(ValueError, match="need 1 <= r <= n"):
        NodeOptions(id="a", data="/tmp/x", secret=b"s", members=("a", "b", "c"), n=n, r=r, w=w)
    with pytest.raises(SettingsError, match="n must be at least 1"):
        check_quorum(0, 1, 1)


@pytest.mark.parametrize("bad", [dict(versioning="lamport"), dict(resolver="random"), dict(strategy="ring"),
                                 dict(partitions=0), dict(vnodes=0), dict(replica_timeout=0),
                                 dict(max_siblings=0), dict(max_hints=-1)])
def test_bad_settings_are_one_clear_error(bad: dict[str, object]) -> None:
    with pytest.raises(SettingsError) as info:
        ProtocolSettings(**bad)  # type: ignore[arg-type]
    assert next(iter(bad)) in str(info.value)
