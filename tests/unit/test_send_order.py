"""ledger.send_order.spread: every product of a task in use from the first message to the last."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given
from hypothesis import strategies as st

from ledger.send_order import spread


def test_products_are_spread_through_the_whole_sequence() -> None:
    pairs = [("cdn", f"c{i}") for i in range(6)] + [("clb", "l0"), ("clb", "l1")]
    assert spread(pairs) == ["c0", "c1", "l0", "c2", "c3", "c4", "l1", "c5"]


@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers()), max_size=60))
def test_spread_is_a_permutation_that_keeps_each_groups_order(
    pairs: list[tuple[str, int]],
) -> None:
    items = [(group, (group, i)) for i, (group, _) in enumerate(pairs)]
    out = spread(items)
    assert sorted(out) == sorted(item for _, item in items)
    by_group: dict[str, list[int]] = defaultdict(list)
    for group, i in out:
        by_group[group].append(i)
    assert all(order == sorted(order) for order in by_group.values())


@given(st.dictionaries(st.sampled_from("abcd"), st.integers(1, 40), min_size=1))
def test_every_group_is_in_both_halves_of_the_sequence(sizes: dict[str, int]) -> None:
    pairs = [(group, group) for group, n in sizes.items() for _ in range(n)]
    out = spread(pairs)
    half = len(out) // 2
    for group, n in sizes.items():
        if n >= 2:
            assert group in out[: half + 1] and group in out[half:]
