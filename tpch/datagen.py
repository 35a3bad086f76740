"""TPC-H data generation with tpchgen-cli, cached per scale factor as Parquet files."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TABLES = ("lineitem", "orders", "customer", "part", "partsupp", "supplier", "nation", "region")


def table_path(data_dir: Path, table: str) -> Path:
    """The Parquet file of `table` in a generated data directory."""
    return data_dir / f"{table}.parquet"


def is_complete(data_dir: Path) -> bool:
    """Whether `data_dir` holds the Parquet file of every TPC-H table."""
    return all(table_path(data_dir, t).is_file() for t in TABLES)


def tpchgen_executable() -> str:
    """Path of the tpchgen-cli binary: next to the running Python first, then on PATH."""
    beside = Path(sys.executable).parent / "tpchgen-cli"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("tpchgen-cli")
    if found is None:
        raise FileNotFoundError("tpchgen-cli not found; install it with `pip install tpchgen-cli`")
    return found


def ensure_data(sf: float, root: Path = Path("tpch/data")) -> Path:
    """Return `root/sf{sf:g}`, generating TPC-H Parquet there first if any table file is missing.

    Generation writes into a temporary sibling directory that is renamed into place only once
    every table is written, so an interrupted run never leaves a half-generated directory.
    """
    target = Path(root) / f"sf{sf:g}"
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        cmd = [tpchgen_executable(), "parquet", "-s", f"{sf:g}", "--output-dir", str(tmp)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"tpchgen-cli failed ({proc.returncode}): {proc.stderr.strip()}")
        if not is_complete(tmp):
            raise RuntimeError(f"tpchgen-cli did not write all of {', '.join(TABLES)} into {tmp}")
        if target.exists():
            shutil.rmtree(target)
        try:
            tmp.rename(target)
        except OSError:
            if not is_complete(target):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return target
