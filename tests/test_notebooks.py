"""The notebooks under notebooks/ run as plain Python scripts, as CI runs them, and succeed."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warpdb.kernels.backend import gpu_available

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# Lines each notebook must print on this machine.
EXPECTED = {
    "quickstart.py": ["same plan, same result:", "did you mean 'l_quantity'", "  ^", "all ok", "chart: "],
    "gpu_tour.py": ["profile (operator, ms, rows):", "Q6: warpdb cpu", "answers match",
                    "NotSupported: not supported: memory_limit on the CPU backend"]
                   + ([] if gpu_available() else ["skipped: no CUDA GPU"]),
}


def run_notebook(name: str, out: Path) -> subprocess.CompletedProcess:
    """Run notebooks/`name` with this Python from the repository root, importing this checkout."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    env = dict(os.environ, WARPDB_NOTEBOOK_OUT=str(out), PYTHONPATH=path)
    return subprocess.run([sys.executable, str(NOTEBOOKS / name)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_every_notebook_is_tested():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_is_in_percent_format(name):
    text = (NOTEBOOKS / name).read_text()
    assert "\n# %% [markdown]\n" in text and "\n# %%\n" in text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs(name, tmp_path):
    proc = run_notebook(name, tmp_path)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    for line in EXPECTED[name]:
        assert line in proc.stdout, f"{name} did not print {line!r}"
    if name == "quickstart.py":
        charts = list(tmp_path.glob("tpch_sf0.01_*.png"))
        assert len(charts) == 1 and charts[0].read_bytes()[:4] == b"\x89PNG"
