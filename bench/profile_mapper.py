"""CPU per order of the mapper's pure path, without a broker: decode → map → envelopes + encode.

Usage: `.venv/bin/python bench/profile_mapper.py [--orders 20000] [--profile]`. Prints µs per order for
each stage (best of three passes) over the benchmark's order mix; `--profile` adds a cProfile listing
of the whole loop. Used to decide what to make faster; the broker figures are bench_mapper.py's.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_mapper import make_records

from storelink_contracts import TopicNames, decode_event, encode_event
from storelink_kit.testing.samples import sample_connection
from storelink_mapper.mapping import map_order


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    records = make_records(args.orders, "prof")
    headers = [{k: v.decode() for k, v in h} for _, _, h in records]
    connection = sample_connection()
    topics = TopicNames("prof")

    def decode() -> list:
        return [decode_event(h, value) for (_, value, _), h in zip(records, headers, strict=True)]

    decoded = decode()

    def mapping() -> list:
        return [(env, map_order(order, connection).documents) for env, order in decoded]

    mapped = mapping()

    def encode() -> int:
        n = 0
        for env, docs in mapped:
            for doc in docs:
                out = env.caused(doc, source="storelink/mapper")
                out.to_headers()
                topics.name(doc.topic)
                doc.message_key().encode()
                n += len(encode_event(doc))
        return n

    def envelopes() -> None:
        for env, docs in mapped:
            for doc in docs:
                env.caused(doc, source="storelink/mapper").to_headers()

    def serialise() -> None:
        for _, docs in mapped:
            for doc in docs:
                encode_event(doc)

    docs = sum(len(d) for _, d in mapped)
    print(f"{args.orders} orders, {docs / args.orders:.2f} documents per order")
    total = 0.0
    for name, fn in [
        ("decode (headers + order JSON)", decode),
        ("map_order", mapping),
        ("envelopes + headers", envelopes),
        ("serialise documents", serialise),
    ]:
        best = min(_timed(fn) for _ in range(3))
        total += best
        print(f"  {name:32s} {best / args.orders * 1e6:7.1f} µs/order")
    print(f"  {'total':32s} {total / args.orders * 1e6:7.1f} µs/order")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        decode()
        mapping()
        encode()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
