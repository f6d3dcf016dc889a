"""The one partition normaliser the simulator and the attached app share."""

import pytest

from dynviz.core.partition import PartitionError, describe_groups, normalise_groups

NODES = ["n1", "n2", "n3", "n4", "n5"]


def test_the_nodes_left_out_form_one_last_group_in_cluster_order():
    assert normalise_groups([["n4", "n1"]], NODES) == [["n4", "n1"], ["n2", "n3", "n5"]]


def test_groups_that_cover_every_node_are_kept_as_given():
    groups = [["n1", "n2"], ["n5", "n3", "n4"]]
    assert normalise_groups(groups, NODES) == groups


def test_an_unknown_node_is_refused_with_the_nodes_there_are():
    with pytest.raises(PartitionError, match=r"unknown node 'n9'; the nodes are n1, n2, n3, n4, n5"):
        normalise_groups([["n1", "n9"]], NODES)


def test_a_node_in_two_groups_is_refused():
    with pytest.raises(PartitionError, match="n2 is in two groups"):
        normalise_groups([["n1", "n2"], ["n2", "n3"]], NODES)


def test_groups_are_described_as_the_command_language_writes_them():
    assert describe_groups([["n1", "n2"], ["n3"]]) == "n1,n2 | n3"
