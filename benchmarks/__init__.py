"""Benchmarks, run as modules by scripts/bench (`python -m benchmarks.bench_compile`)."""
