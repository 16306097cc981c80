"""havehus benchmarks: `python -m bench` runs the whole table (see bench/README.md)."""
