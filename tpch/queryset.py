"""The 22 TPC-H query texts (validation substitution parameters), shipped as package data."""
from __future__ import annotations

from importlib import resources

QUERY_IDS = tuple(range(1, 23))


def query_text(number: int) -> str:
    """SQL text of TPC-H query `number` as a single statement without the trailing semicolon."""
    if number not in QUERY_IDS:
        raise ValueError(f"TPC-H has queries 1..22, not {number}")
    text = (resources.files("tpch") / "queries" / f"q{number:02d}.sql").read_text()
    return text.strip().rstrip(";").rstrip()


def parse_query_list(spec: str | None) -> list[int]:
    """Query numbers from a comma list like "1,3,6" (all 22 when `spec` is empty or None)."""
    if not spec:
        return list(QUERY_IDS)
    try:
        numbers = [int(part) for part in spec.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"queries must be a comma list of numbers like 1,3,6, not {spec!r}") from None
    bad = [n for n in numbers if n not in QUERY_IDS]
    if bad:
        raise ValueError(f"unknown TPC-H query number(s) {bad}; valid are 1..22")
    return numbers
