"""Bad input on the command line (issue 23 row 16): exit 2, a Swedish message, no
traceback, nothing written; the real CLI in a subprocess on the session's index."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _run(settings, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"ASSISTANT_DATA_DIR": str(settings.data_dir)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("args, says", [
    (["ask", "--k", "-5", "Vad gäller?"], "mellan 1 och 100"),
    (["ask", "--k", "x", "Vad gäller?"], "ange ett heltal"),
    (["ask", "--date", "abc", "Vad gäller?"], "ÅÅÅÅ-MM-DD"),
    (["ask", "--date", "1800-01-01", "Vad gäller?"], "mellan 2002 och 2100"),
    (["ask", "--k"], "ett värde saknas"),
    (["ask", ""], "Frågan är tom"),
    (["course", "quiz", "forebyggande", "--n", "-5"], "mellan 1 och 100"),
    (["course", "show", "finns-inte"], "ingen modul"),
    (["course", "export", "forebyggande", "--out", "/finns-inte/x.pdf"], "katalogen finns inte"),
    (["compare", "99 kap. 1 §"], "finns inte i källorna"),
    (["okänt-kommando"], "ogiltigt val"),
    (["ask", "--okänd", "fråga"], "okända argument"),
])
def test_bad_input_exits_2_in_swedish(indexed_settings, args, says):
    out = _run(indexed_settings, *args)
    assert out.returncode == 2, (args, out.returncode, out.stderr[-800:])
    assert says in out.stderr + out.stdout, (args, out.stderr[-800:])
    assert "Traceback" not in out.stderr and "error:" not in out.stderr and "invalid" not in out.stderr
