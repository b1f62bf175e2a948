"""The probe timeout of the lab tests (`lab verify` waits 1 s by default, for real machines).

A denied probe waits the whole timeout, so the timeout sets each lab's pace. In these labs an allowed
probe is answered within 160 ms of its launch even with the machine's load at 4 on 2 cores (most of that
is launching the rest of its batch of 512); TCP and ICMP answers wait in the kernel and are read before any
deadline passes, and a probe whose result disagrees with the engine is retried at twice the timeout.
"""

PROBE_TIMEOUT = 0.3
