"""Benchmarks of Kundeportalen: `python -m benchmarks.run --sizes 100000,1000000,10000000`."""
