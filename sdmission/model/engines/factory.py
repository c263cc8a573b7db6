"""Engine factory: ``load_engine(path, "batch" | "pysd")``.

``batch`` (default) is the vectorised engine in :mod:`sdmission.model.engines.batch`; ``pysd`` is the
reference engine :class:`sdmission.model.engines.pysd.PysdEngine`. A model the batch engine cannot
compile raises :class:`sdmission.errors.UnsupportedFunctionError`; run it with ``engine="pysd"``.
"""

from __future__ import annotations

from pathlib import Path

from sdmission.errors import ModelError
from sdmission.model.engines.protocol import Engine
from sdmission.model.translate import model_hash

ENGINES: tuple[str, ...] = ("batch", "pysd")

# Batch engines keep their generated functions; reuse them while the model file is unchanged.
_BATCH: dict[tuple[str, str], Engine] = {}


def load_engine(mdl_path: Path | str, engine: str = "batch") -> Engine:
    """An engine for this model.

    Parameters
    ----------
    mdl_path
        Vensim ``.mdl`` file.
    engine
        ``"batch"`` or ``"pysd"``.
    """
    path = Path(mdl_path)
    if engine not in ENGINES:
        raise ModelError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINES)}")
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    if engine == "pysd":
        from sdmission.model.engines.pysd import PysdEngine

        return PysdEngine(path)
    from sdmission.model.engines.batch import BatchEngine

    key = (str(path.resolve()), model_hash(path))
    if key not in _BATCH:
        _BATCH[key] = BatchEngine(path)
    return _BATCH[key]
