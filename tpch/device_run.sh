#!/usr/bin/env bash
# On the GPU machine (device tool, carrying .whl): install the carried wheels, then run the named
# steps in order, writing logs and JSON under $OUT. Usage, from the repo root:
#   bash tpch/device_run.sh STEP...     STEP: profile:SF | parity | sqltests | tests | bench:SF | load:SF | trace:SF
#     profile:SF  per-operator GPU profile of the 22 queries (python -m tpch.profile)
#     parity      GPU-vs-CPU kernel checks and the GPU memory-limit test
#     sqltests    the SQL and TPC-H test files with the GPU backend (WARPDB_DEVICE=gpu)
#     tests       the complete test suite with the GPU backend (pytest-xdist, 8 workers)
#     bench:SF    python -m tpch --sf SF --device gpu, DuckDB side by side, JSON + plot
#     load:SF     page-cache cold load of lineitem's columns and a repeated query (python -m tpch.load_bench)
#     trace:SF[:Q,Q]  every kernel of the hot queries with its device time (Nsight Compute, tpch.kernel_trace)
set -uo pipefail
OUT=${OUT:-/tmp/out}
mkdir -p "$OUT"
python3 -m pip install -q --no-deps .whl/*.whl 2>&1 | tail -2
python3 -m pip install -q --no-deps --no-build-isolation -e . 2>&1 | tail -2
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
export PYTHONUNBUFFERED=1
for step in "$@"; do
  echo "=== $step ($(date +%T))"
  case "$step" in
    profile:*) timeout 400 python3 -m tpch.profile --sf "${step#profile:}" --device gpu --repeat 2 --cprofile --out "$OUT" \
                 2>&1 | tee "$OUT/profile_${step#profile:}.log" | tail -25 ;;
    parity) timeout 150 python3 -m pytest -q -p no:cacheprovider tests/test_kernel_parity.py tests/test_memory_limit.py \
              -rfE 2>&1 | tee "$OUT/parity.log" | tail -15 ;;
    sqltests) WARPDB_DEVICE=gpu WARPDB_QUICK=1 timeout 200 python3 -m pytest -q -p no:cacheprovider --maxfail=50 \
               tests/test_sql_*.py tests/test_tpch_queries.py -rf 2>&1 | tee "$OUT/pytest_gpu_sql.log" | tail -8 ;;
    tests) WARPDB_DEVICE=gpu WARPDB_QUICK=1 timeout "${TESTS_TIMEOUT:-540}" python3 -m pytest -q -p no:cacheprovider \
             --maxfail=50 -n 8 tests -rfs 2>&1 | tee "$OUT/pytest_gpu.log" | tail -25 ;;
    bench:*) timeout 260 python3 -m tpch --sf "${step#bench:}" --device gpu --repeat 5 --out "$OUT" 2>&1 | tail -30 ;;
    load:*) timeout 300 python3 -m tpch.load_bench --sf "${step#load:}" --device gpu --out "$OUT" 2>&1 \
              | tee "$OUT/load_${step#load:}.log" | tail -30 ;;
    trace:*) spec=${step#trace:}; sf=${spec%%:*}; qs=${spec#"$sf"}; qs=${qs#:}
             timeout 300 ncu --profile-from-start off --clock-control none --metrics gpu__time_duration.sum --csv \
               --log-file "$OUT/ncu_sf$sf.csv" python3 -m tpch.kernel_trace run --sf "$sf" ${qs:+--queries "$qs"} \
               > "$OUT/trace_run_sf$sf.log" 2>&1; tail -3 "$OUT/trace_run_sf$sf.log"
             python3 -m tpch.kernel_trace summarize "$OUT/ncu_sf$sf.csv" --out "$OUT/kernel_trace_sf$sf.json" 2>&1 \
               | tee "$OUT/trace_sf$sf.log" ;;
    *) echo "unknown step $step"; exit 2 ;;
  esac
done
