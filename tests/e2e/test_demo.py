"""``certfleet demo --output json`` keeps its promises (README, issue #2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CERTFLEET = str(Path(sys.executable).with_name("certfleet"))


def test_demo_figures_satisfy_the_equations(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERTFLEET_")}
    env["CERTFLEET_DATA_DIR"] = str(tmp_path / "unused")
    result = subprocess.run(
        [CERTFLEET, "demo", "--domains", "40", "--data-dir", str(tmp_path / "demo"), "-o", "json"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["matched"] > 0 and report["failed"] > 0  # the demo includes locked domains
    assert report["succeeded"] + report["failed"] == report["matched"]
    assert report["verified"] == report["succeeded"]
    assert report["quota_refunded"] == report["failed_uploaded"] > 0
    assert report["quota_debited"] == sum(
        t["succeeded"] + t["failed"] for t in report["tasks"] if t["cert_type"] == "uploaded"
    )
    assert {t["cert_type"] for t in report["tasks"]} == {"uploaded", "issued"}
    assert report["unmatched"] > 0  # shown in the preview, never deployed
    assert len(report["campaigns"]) == 2  # renewal campaigns, not a single task
    assert all(c["expiring"] >= c["matched"] > 0 for c in report["campaigns"])
    assert report["notifications"] == len(report["tasks"])  # one signed webhook per task
