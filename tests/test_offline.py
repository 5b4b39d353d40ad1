"""govflow never touches the network: every socket is refused and the whole pipeline still runs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO

# Installed before anything else is imported: any connection or DNS look-up raises.
GUARD = textwrap.dedent(
    """
    import socket

    def refuse(*args, **kwargs):
        raise RuntimeError("govflow test: network access attempted")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.socket.sendto = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    """
)


def run_guarded(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with sockets refused and empty caches (no PSL cached earlier)."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TLDEXTRACT_CACHE": str(tmp_path / "tldextract"),
    }
    return subprocess.run(
        [sys.executable, "-c", GUARD + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )


def test_the_guard_catches_a_library_that_phones_home(tmp_path: Path) -> None:
    """Control: tldextract left to its defaults tries to fetch the public-suffix list."""
    proc = run_guarded(
        """
        import logging, tldextract
        logging.basicConfig(level=logging.ERROR)
        tldextract.TLDExtract(cache_dir=None)("mail.example.co.uk")
        """,
        tmp_path,
    )
    assert "network access attempted" in proc.stderr


def test_whole_pipeline_runs_with_sockets_refused(tmp_path: Path) -> None:
    proc = run_guarded(
        """
        import govflow
        from govflow.datagen import generate_customers
        from govflow.runner import run_file
        import pyarrow.parquet as pq

        table, _ = generate_customers(60, seed=3)
        pipe = govflow.Pipeline.default()
        result = pipe.run(table)
        assert sum(result.counts.values()) == 60
        assert any(f.entity_type == "EMAIL_ADDRESS" for f in pipe.scan_text("mail jane@example.co.uk"))
        pq.write_table(table, "in.parquet")
        summary = run_file(pipe, "in.parquet", "out")
        assert summary.manifest["input_rows"] == 60
        print("offline ok")
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "offline ok" in proc.stdout
    assert "network access attempted" not in proc.stderr


def test_missing_spacy_model_is_refused_not_downloaded(tmp_path: Path) -> None:
    proc = run_guarded(
        """
        import govflow
        from govflow.detect.stack import DetectionConfigError
        policy = govflow.load_policy(None)
        settings = policy.settings.model_copy(update={"spacy_model": "xx_missing_model"})
        policy = policy.model_copy(update={"settings": settings})
        try:
            govflow.Pipeline(policy).scan_text("hello there")
        except DetectionConfigError as exc:
            print("refused:", exc)
        """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "refused: spaCy model 'xx_missing_model' is not installed" in proc.stdout
    assert "network access attempted" not in proc.stderr
