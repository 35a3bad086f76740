"""The load pipeline: jobs (decode a row group, send a cached chunk, read file bytes) run on the
connection's loader threads, each with a lane to copy through, so that decoding of some row groups
overlaps the copies of others; the copies are waited for once, at the end."""
from __future__ import annotations

import time
from concurrent.futures import wait
from dataclasses import dataclass, fields


@dataclass
class LoadStats:
    """One load's numbers: decode_s (thread seconds decoding and converting, or reading and parsing
    page headers where the device decodes), stage_s (thread seconds copying into pinned staging
    buffers, GPU), copy_s (seconds the GPU spent copying to the device; thread seconds of the copies
    on the CPU), device_decode_s (seconds the GPU spent decoding Parquet pages), bytes_copied (into
    the backend's arrays) and wall_s."""

    decode_s: float = 0.0
    stage_s: float = 0.0
    copy_s: float = 0.0
    device_decode_s: float = 0.0
    bytes_copied: int = 0
    wall_s: float = 0.0

    def add(self, other: "LoadStats") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def run(transfers, jobs: list) -> tuple[list, LoadStats]:
    """Run `jobs` (callables taking a lane and returning (result, decode seconds)) on the loader
    threads; their results in order, and the load's numbers once every copy has completed."""
    began = time.perf_counter()
    stats = LoadStats()
    if not jobs:
        return [], stats
    pool, lanes = transfers.workers()
    transfers.begin()

    def call(job):
        lane = lanes.get()
        try:
            with lane, transfers.memory_scope():
                return job(lane)
        finally:
            lanes.put(lane)

    futures = [pool.submit(call, job) for job in jobs]
    try:
        done = [f.result() for f in futures]
    finally:
        for f in futures:
            f.cancel()
        wait(futures)
        stats.copy_s, stats.stage_s, stats.device_decode_s, stats.bytes_copied = transfers.finish()
    stats.decode_s = sum(seconds for _, seconds in done)
    stats.wall_s = time.perf_counter() - began
    return [result for result, _ in done], stats
