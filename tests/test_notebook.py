"""notebooks/quickstart.ipynb runs top to bottom in a real Jupyter kernel (so it never rots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlhw.data import find

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_executes(tmp_path, data_dir, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (the dev extra has it)")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (the dev extra has it)")
    pytest.importorskip("ipykernel", reason="ipykernel is not installed (the dev extra has it)")
    if find("fashion-mnist", data_dir) is None:
        pytest.skip("Fashion-MNIST is absent (dlhw data fetch fashion-mnist)")
    monkeypatch.setenv("DLHW_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TQDM_DISABLE", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "test accuracy of the best epoch" in text and "best: {'lr':" in text
    assert "exact zeros possible" in text
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1, "the inline backend shows the sparsemax vs relumax figure"
