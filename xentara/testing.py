"""Hypothesis strategies for Xentara messages, public for users' own property tests.

Examples:
    >>> from hypothesis import given
    >>> @given(timestamps())
    ... def test_round_trip(ts):
    ...     assert Timestamp.from_wire(ts.to_wire()) == ts
    >>> test_round_trip()
"""

from __future__ import annotations

import uuid
from typing import Any

from cbor2 import CBORTag
from hypothesis import strategies as st

from iotws.xentara.models import (
    Attribute,
    AttributeId,
    DataChange,
    Failure,
    MetaDataId,
    SubscriptionInfo,
    SubSessionCertificate,
    SubSessionPassword,
    SubSessionToken,
    Timestamp,
)
from iotws.xentara.protocol import (
    BrowseCommand,
    CheckAccessCommand,
    CloseSubSessionCommand,
    CreateSubSessionCommand,
    GetStageCommand,
    LookupCommand,
    MetaDataCommand,
    ReadCommand,
    ShutdownCommand,
    SubscribeCommand,
    SuspendCommand,
    UnsubscribeCommand,
    WriteCommand,
    XentaraCommand,
)

__all__ = [
    "attribute_ids",
    "attribute_values",
    "cbor_items",
    "commands",
    "data_changes",
    "failures",
    "timestamps",
    "uuids",
]


def uuids() -> st.SearchStrategy[uuid.UUID]:
    """Any UUID (including nil).

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(uuids())
        ... def check(x):
        ...     assert isinstance(x, uuid.UUID)
        >>> check()
    """
    return st.builds(uuid.UUID, int=st.integers(0, 2**128 - 1))


def timestamps() -> st.SearchStrategy[Timestamp]:
    """Time stamps over the whole int64 nanosecond range.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(timestamps())
        ... def check(x):
        ...     assert isinstance(x, Timestamp)
        >>> check()
    """
    return st.builds(Timestamp, st.integers(-(2**63), 2**63 - 1))


def attribute_ids() -> st.SearchStrategy[AttributeId]:
    """Known attributes, other ints, and attribute UUIDs.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(attribute_ids())
        ... def check(x):
        ...     assert x is not None
        >>> check()
    """
    return st.one_of(st.sampled_from(list(Attribute)), st.integers(14, 2**32), uuids())


def attribute_values() -> st.SearchStrategy[Any]:
    """Attribute values as the wire carries them (no NaN: it never equals itself).

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(attribute_values())
        ... def check(x):
        ...     assert x == x  # never NaN
        >>> check()
    """
    return st.one_of(
        st.booleans(),
        st.integers(-(2**63), 2**64 - 1),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        uuids(),
        timestamps(),
    )


def failures() -> st.SearchStrategy[Failure]:
    """Per-attribute errors.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(failures())
        ... def check(x):
        ...     assert isinstance(x, Failure)
        >>> check()
    """
    return st.builds(Failure, st.integers(-32768, -32000), st.text(max_size=30))


def data_changes() -> st.SearchStrategy[DataChange]:
    """Data-change events (no subscriptions attached).

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(data_changes())
        ... def check(x):
        ...     assert isinstance(x, DataChange)
        >>> check()
    """
    values = st.dictionaries(attribute_ids(), st.one_of(attribute_values(), failures()), min_size=1, max_size=5)
    return st.builds(DataChange, timestamps(), uuids(), values)


def _subscriptions() -> st.SearchStrategy[SubscriptionInfo]:
    items = st.lists(
        st.tuples(uuids(), st.lists(attribute_ids(), min_size=1, max_size=3).map(tuple)), min_size=1, max_size=3
    ).map(tuple)
    rate = st.none() | st.integers(1, 60_000)
    return st.builds(SubscriptionInfo, uuids(), items, rate, rate)


def commands() -> st.SearchStrategy[XentaraCommand[Any]]:
    """Valid commands of every kind that takes parameters from the caller.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(commands())
        ... def check(x):
        ...     assert isinstance(x, XentaraCommand)
        >>> check()
    """
    not_nil = uuids().filter(lambda u: u.int != 0)
    attrs_ = st.lists(attribute_ids(), min_size=1, max_size=4)
    auth = st.one_of(
        st.builds(SubSessionToken, st.text(max_size=20)),
        st.builds(SubSessionCertificate, st.binary(max_size=20)),
        st.builds(SubSessionPassword, st.text(max_size=10), st.text(max_size=10)),
    )
    return st.one_of(
        st.builds(BrowseCommand, st.none() | uuids(), st.none() | st.integers(0, 10)),
        st.builds(MetaDataCommand, uuids(), st.lists(st.sampled_from(list(MetaDataId)), min_size=1, max_size=4)),
        st.builds(LookupCommand, st.text(min_size=1, max_size=30)),
        st.builds(ReadCommand, uuids(), attrs_),
        st.builds(WriteCommand, uuids(), attribute_ids(), attribute_values(), st.none() | uuids()),
        st.builds(SubscribeCommand, _subscriptions()),
        st.builds(UnsubscribeCommand, uuids()),
        st.just(GetStageCommand()),
        st.builds(SuspendCommand, st.none() | uuids()),
        st.builds(ShutdownCommand, st.none() | uuids()),
        st.builds(CreateSubSessionCommand, auth, st.none() | not_nil),
        st.builds(CloseSubSessionCommand, not_nil),
        st.builds(CheckAccessCommand, not_nil),
    )


FUZZ_TAGS = (1, 4, 37, 121, 122, 123, 1001, 8, 0)
"""The tags Xentara uses, plus two cbor2 decodes itself (0: date text, 8: unassigned)."""
XENTARA_TAGS = (1, 4, 37, 121, 122, 123, 1001)
"""Xentara's own tags: with random content they spoil only the packet holding them."""


def cbor_items(max_leaves: int = 20, tags: tuple[int, ...] = FUZZ_TAGS) -> st.SearchStrategy[Any]:
    """Arbitrary CBOR data, including tags (default [`FUZZ_TAGS`][iotws.xentara.testing.FUZZ_TAGS]) with random
    (often wrong) content.

    Examples:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=5)
        ... @given(cbor_items())
        ... def check(x):
        ...     assert x == x  # never NaN
        >>> check()
    """
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**64), 2**64 - 1),
        st.floats(),
        st.text(max_size=10),
        st.binary(max_size=20),
        st.binary(min_size=16, max_size=16).map(lambda b: CBORTag(37, b)),
    )
    tag_numbers = st.sampled_from(tags)
    keys = st.one_of(st.integers(-10, 10), st.text(max_size=3))
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(keys, inner, max_size=4),
            st.builds(CBORTag, tag_numbers, inner),
        ),
        max_leaves=max_leaves,
    )
