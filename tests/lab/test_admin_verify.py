"""`lab verify` on the ClusterNetworkPolicy / AdminNetworkPolicy conformance cases (root only).

Every step of the chosen cases is built on the kernel (admin tiers before and after the namespaces'
policies), probed and compared with the engine. The default choice covers both tiers, Pass, named
ports, fail-closed node peers and the NetworkPolicy interplay in 18 steps; NETPOLICY_LAB_ADMIN=all
replays every step of all 48 cases (188 steps, 91,008 probes, about 6 minutes here).
Host-network pods have no workload endpoint and are not probed, as for the k8s-netpol cases.
"""

from __future__ import annotations

import os

import pytest
import yaml

from netpolicy.api import load_documents
from netpolicy.engine.matrix import compute_matrix
from netpolicy.lab import api
from netpolicy.lab.report import render_text
from netpolicy.options import Options
from tests.conformance_data import case_files
from tests.lab.probing import PROBE_TIMEOUT

pytestmark = pytest.mark.usefixtures("lab_ready")

CHOSEN = ("cnp/cnp-admin-gress", "cnp/cnp-admin-integration", "cnp/cnp-admin-egress-named-port",
          "cnp/cnp-baseline-egress-node-peers", "anp/anp-egress-named-port", "anp/banp-egress-node-peers")
ALL = {f"{folder}/{path.stem}": path for folder in ("cnp", "anp") for path in case_files(folder)}
CASES = sorted(ALL) if os.environ.get("NETPOLICY_LAB_ADMIN") == "all" else list(CHOSEN)


@pytest.mark.parametrize("name", CASES)
def test_kernel_agrees_with_engine_on_admin_case(name):
    from tests.conformance.admin_model import replay

    options = Options(calico_version=(3, 32) if name.startswith("cnp/") else (3, 31))
    case = yaml.safe_load(ALL[name].read_text())
    failures = []
    for number, _step, state in replay(case):
        cluster = load_documents(state.documents(), options)
        report = api.verify(cluster, compute_matrix(cluster, options), options, timeout=PROBE_TIMEOUT)
        assert report.probes > 0
        if not report.ok:
            failures.append(f"step {number}:\n{render_text(report)}")
    assert not failures, "\n".join(failures)
