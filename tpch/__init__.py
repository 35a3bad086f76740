"""TPC-H benchmark harness for warpdb: data generation, the 22 queries, and a runner that
times warpdb against DuckDB and checks every result with the DuckDB oracle."""
