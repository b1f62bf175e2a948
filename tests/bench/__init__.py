"""Tests of the benchmark: generator, runner, tables."""
