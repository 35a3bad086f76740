#!/usr/bin/env bash
# On the GPU machine (device tool): install carried wheels, then run the test suite on the GPU backend
# and a TPC-H benchmark, writing logs and JSON under $OUT. Usage (from the repo root, carrying .whl):
#   bash tpch/device_run.sh [SF]          # SF defaults to 1
set -uo pipefail
OUT=${OUT:-/tmp/out}
SF=${1:-1}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --find-links .whl sqlglot duckdb tpchgen-cli 2>&1 | tail -2
python3 -m pip install -q --no-deps --no-build-isolation -e . 2>&1 | tail -2
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
export WARPDB_DEVICE=gpu WARPDB_QUICK=1 PYTHONUNBUFFERED=1
timeout 420 python3 -m pytest -q -p no:cacheprovider --maxfail=400 -x tests/test_api.py 2>&1 | tail -3
timeout 420 python3 -m pytest -q -p no:cacheprovider --maxfail=2000 \
  tests/test_sql_select.py tests/test_sql_joins.py tests/test_sql_aggregate.py tests/test_sql_subqueries.py \
  tests/test_sql_setops.py tests/test_sql_expressions.py tests/test_sql_types.py tests/test_tpch_queries.py \
  -rf 2>&1 | tee "$OUT/pytest_gpu.log" | tail -5
timeout 300 python3 -m tpch --sf "$SF" --device gpu --repeat 3 --out "$OUT" 2>&1 | tail -30
