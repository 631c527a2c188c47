"""Benchmarks, run by `make bench` (`python -m bench`): every `bench/bench_*.py` module's
`run() -> list[str]` is called and its result lines are printed."""
