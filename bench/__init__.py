"""Benchmark for netpolicy: synthetic clusters at several sizes, timed end to end, and side by side with a peer."""
