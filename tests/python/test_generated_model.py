"""sts-mock's validation tables and error codes are generated from botocore's service models
(scripts/gen_aws_model.py): the committed file must be exactly what the generator writes from the
botocore installed here, so the tables cannot drift from AWS's model unnoticed."""

import subprocess
import sys

from conftest import REPO


def test_the_generated_model_is_current():
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_aws_model.py"), "--check"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_the_check_notices_a_difference(tmp_path):
    original = (REPO / "sts-mock" / "src" / "aws_model.rs").read_text()
    changed = tmp_path / "aws_model.rs"
    changed.write_text(original.replace("min: Some(2), max: Some(64)", "min: Some(2), max: Some(65)", 1))
    assert changed.read_text() != original
    run = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_aws_model.py"), "--check", "--file", str(changed)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "not what scripts/gen_aws_model.py writes" in run.stderr
