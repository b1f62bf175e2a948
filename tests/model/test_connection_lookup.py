"""`ConnectionSet.allows` for one packet answers as the subset test of a one-packet set does."""

from hypothesis import given, settings
from hypothesis import strategies as st

from netpolicy.model.connections import ConnectionSet
from netpolicy.model.intervals import IntervalSet

PROTOCOLS = st.sampled_from([6, 17, 1, 58, 47])
SPANS = st.lists(st.tuples(st.integers(-2, 300), st.integers(-2, 300)), max_size=4)
VALUES = st.integers(-1, 301)


@st.composite
def connection_sets(draw):
    union = ConnectionSet.empty()
    for _ in range(draw(st.integers(0, 4))):
        protocol = draw(PROTOCOLS)
        union = union | ConnectionSet.of(protocol, IntervalSet.of(draw(SPANS)), IntervalSet.of(draw(SPANS)))
    return union


@settings(max_examples=300, deadline=None)
@given(connection_sets(), PROTOCOLS, VALUES, VALUES)
def test_one_packet_lookup_equals_the_subset_test(connections, protocol, first, second):
    packet = ConnectionSet.of(protocol, IntervalSet.span(first, first), IntervalSet.span(second, second))
    expected = bool(connections.by_protocol.get(protocol)) and packet.issubset(connections)
    assert connections.allows(protocol, first, second) == expected
