"""The probe timeout of the lab tests (`lab verify` waits 1 s by default, for real machines).

In the lab every answer crosses a veth pair on this host and comes back in well under a millisecond, so a
probe silent for 0.3 s was dropped; a probe whose result disagrees with the engine is retried at twice
the timeout before it is reported. Denied probes wait the whole timeout, so this sets each lab's pace.
"""

PROBE_TIMEOUT = 0.3
