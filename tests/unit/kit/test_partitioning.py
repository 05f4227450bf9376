"""The mapper's murmur2 must pick exactly the partition Kafka's (and aiokafka's) default partitioner picks."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from hypothesis import given, settings
from hypothesis import strategies as st

from storelink_kit.partitioning import murmur2, partition_for


@settings(max_examples=2000)
@given(st.binary(max_size=300))
def test_murmur2_equals_aiokafkas(data: bytes) -> None:
    assert murmur2(data) == aiokafka_murmur2(data)


@given(st.text(min_size=1, max_size=80), st.integers(min_value=1, max_value=64))
def test_partition_equals_the_default_partitioners(key: str, count: int) -> None:
    raw = key.encode()
    partitions = list(range(count))
    assert partition_for(raw, partitions) == DefaultPartitioner()(raw, partitions, partitions)


def test_known_values_of_the_java_client() -> None:
    # Kafka's own UtilsTest.testMurmur2 vectors (signed 32-bit there)
    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    for data, signed in cases.items():
        assert murmur2(data) == signed & 0xFFFFFFFF, data
