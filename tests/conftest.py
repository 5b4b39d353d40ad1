"""Shared fixtures: one pipeline per session (engines are expensive), generated data, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import govflow

REPO = Path(__file__).resolve().parents[1]
# A key for tests only (the default pack tokenises, so it needs one); subprocesses inherit it. Set even when
# the shell holds a GOVFLOW_KEY (as the README suggests): the tests that no key leaks look for this one, and
# a test run has no business reading a real key.
TEST_KEY_HEX = "7e57" * 16
os.environ["GOVFLOW_KEY"] = TEST_KEY_HEX


@pytest.fixture(scope="session")
def default_pipeline() -> govflow.Pipeline:
    return govflow.Pipeline.default()


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real `govflow` command in a fresh interpreter (works with or without an editable install)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "govflow", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )
