"""Times the library's phases in one process: load, one query, the matrix and its class-level flows.

Prints one JSON line per phase as it ends. The matrix may be computed lazily, so the analysis also
walks what `matrix --group-by class` prints: the endpoint classes and every class pair's connections,
or with `--compact` the compact form's tables (everything but JSON encoding).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

PROTOCOLS = {"TCP": 6, "UDP": 17, "SCTP": 132}


def _emit(record: dict) -> None:
    record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(record), flush=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.phases DIR [--pod-cidr C] [--query FROM TO PROTOCOL PORT] [--no-matrix]`."""
    parser = argparse.ArgumentParser(prog="python -m bench.phases", description=__doc__)
    parser.add_argument("directory")
    parser.add_argument("--pod-cidr", default=None)
    parser.add_argument("--query", nargs=4, metavar=("FROM", "TO", "PROTOCOL", "PORT"))
    parser.add_argument("--no-matrix", action="store_true")
    parser.add_argument("--compact", action="store_true", help="time the compact form instead of every class pair")
    args = parser.parse_args(argv)

    from netpolicy.api import load_cluster
    from netpolicy.options import Options

    options = Options(pod_cidr=args.pod_cidr) if args.pod_cidr else Options()
    started = time.perf_counter()
    cluster = load_cluster([args.directory], options)
    _emit({"phase": "load", "seconds": time.perf_counter() - started, "endpoints": len(cluster.endpoints),
           "policies": len(cluster.policies), "warnings": len(cluster.warnings)})
    if args.query:
        from netpolicy.engine.flow import FlowEvaluator

        source, target, protocol, port = args.query
        started = time.perf_counter()
        result = FlowEvaluator(cluster, options).evaluate(source, target, PROTOCOLS[protocol], int(port))
        _emit({"phase": "query", "seconds": time.perf_counter() - started, "verdict": result.verdict})
    if not args.no_matrix:
        from netpolicy.engine.matrix import compute_matrix
        from netpolicy.engine.pairs import class_pair_blocks, endpoint_classes

        started = time.perf_counter()
        matrix = compute_matrix(cluster, options)
        _emit({"phase": "matrix", "seconds": time.perf_counter() - started})
        started = time.perf_counter()
        classes = endpoint_classes(matrix)
        if args.compact:
            from netpolicy.engine.compact import compact_connectivity

            compact = compact_connectivity(matrix, classes)
            _emit({"phase": "classes", "seconds": time.perf_counter() - started, "classes": len(classes),
                   "tables": len(compact.tables), "peer_sets": len(compact.peer_sets)})
            return 0
        flows = sum(len(block.sources) for block in class_pair_blocks(matrix, classes))
        _emit({"phase": "classes", "seconds": time.perf_counter() - started, "classes": len(classes),
               "flows": flows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
