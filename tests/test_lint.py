"""`ruff check` (configured in pyproject.toml) is clean: run with the tests."""

import subprocess
import sys

from assistant.config import PROJECT_ROOT


def test_ruff_check_is_clean():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", str(PROJECT_ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
