"""Every notebook under notebooks/ runs top to bottom without a cell error.

The kernel is the interpreter running pytest, whatever kernelspecs the machine has: the tests install a
private `python3` kernelspec into a temporary directory, pointing at `sys.executable` and putting the
repo's `src` on PYTHONPATH, and start kernels from it only. So the notebooks run against this checkout,
with or without an editable install, and nothing is written into the venv or the user's Jupyter dirs.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
KERNEL_NAME = "python3"


@pytest.fixture(scope="session")
def kernel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding one kernelspec, `python3`: this interpreter, with `<repo>/src` importable."""
    kernels = tmp_path_factory.mktemp("kernels")
    spec = kernels / KERNEL_NAME
    spec.mkdir()
    pythonpath = os.pathsep.join(filter(None, [str(REPO / "src"), os.environ.get("PYTHONPATH")]))
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": f"Python {sys.version_info.major} (govflow tests)",
                "language": "python",
                "env": {"PYTHONPATH": pythonpath},
            }
        ),
        encoding="utf-8",
    )
    return kernels


def kernel_manager(kernel_dir: Path) -> AsyncKernelManager:
    """A kernel manager that sees only the private kernelspec (no user, venv or system ones)."""
    specs = KernelSpecManager(kernel_dirs=[str(kernel_dir)], ensure_native_kernel=False)
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks/*.ipynb found"


def test_the_kernel_is_this_interpreter(kernel_dir: Path) -> None:
    spec = kernel_manager(kernel_dir).kernel_spec
    assert spec is not None
    assert spec.argv[0] == sys.executable
    assert str(REPO / "src") in spec.env["PYTHONPATH"].split(os.pathsep)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_dir: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name=KERNEL_NAME,
        km=kernel_manager(kernel_dir),
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working directory
    )
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.name}: a cell failed\n{error}", pytrace=False)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    """Outputs would hold generated data and make every diff noisy: clear them before committing."""
    nb = nbformat.read(path, as_version=4)
    code = [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    dirty = [i for i, cell in code if cell.outputs or cell.execution_count is not None]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them"
