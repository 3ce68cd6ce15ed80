"""Benchmarks (not tests): ``python -m bench`` runs them. Timings live here, never in assertions."""
