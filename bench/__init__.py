"""Benchmarks: validate, plan and apply at a large publisher's scale, against the naive way.

``python -m bench`` (see docs/benchmarks.md) generates offer sets of N offers, seeds the
same offers live in an emulator process, and runs each scenario in a fresh worker process
so that wall time, CPU time and peak memory are that scenario's own. These are not tests:
they print a table with ratios and floors and write ``bench/results/latest.{md,json}``.
"""
