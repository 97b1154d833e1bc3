"""Several processes sharing PROMETHEUS_MULTIPROC_DIR: a scrape sums their event and webhook counters and shows
the latest sample of the webhook queue."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.observability.test_probes_and_metrics import _sample

from mailyard.observability.metrics import PrometheusMetrics

pytestmark = pytest.mark.timeout(60)

# prometheus-client picks its file-backed values at import, from the environment: hence real processes.
REPORTING = """
import sys
from pathlib import Path
from mailyard.observability.metrics import PrometheusMetrics
metrics = PrometheusMetrics(Path(sys.argv[1]))
metrics.events_recorded("bounce", 2)
metrics.webhooks_posted("delivered", 3)
metrics.webhook_queue_sampled(int(sys.argv[2]), 5.0)
"""


def test_processes_add_up(tmp_path: Path) -> None:
    shared = tmp_path / "metrics"
    shared.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    for pending in (7, 4):
        subprocess.run([sys.executable, "-c", REPORTING, str(shared), str(pending)], env=env, check=True)
    scraped = PrometheusMetrics(shared).exposition().decode()
    assert _sample(scraped, 'mailyard_events_total{kind="bounce"}') == 4
    assert _sample(scraped, 'mailyard_webhooks_total{outcome="delivered"}') == 6
    assert _sample(scraped, "mailyard_webhook_queue_pending") == 4
    assert _sample(scraped, "mailyard_webhook_queue_oldest_age_seconds") == 5
