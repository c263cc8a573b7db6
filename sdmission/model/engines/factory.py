"""The one engine factory: ``load_engine(path, "auto" | "batch" | "pysd")``.

The engine choice means the same in every command:

``batch``
    The vectorised engine in :mod:`sdmission.model.engines.batch` (checked against PySD). A model it
    cannot compile raises :class:`sdmission.errors.ModelError` (an unsupported function raises
    :class:`sdmission.errors.UnsupportedFunctionError`); run such a model with ``pysd``. Its runs
    take the compiled C path (same IR, system C compiler) where that pays and agrees with the
    numpy path (rtol 1e-9), else numpy: see ``BatchEngine.kernel_for`` and
    ``$SDMISSION_COMPILED`` (``0`` = numpy only, ``always`` = compile every plan). So ``run``,
    ``ensemble``, ``optimise`` and ``explore`` use the fastest path that agrees by default.
``pysd``
    The reference engine :class:`sdmission.model.engines.pysd.PysdEngine`.
``auto``
    ``batch`` when it compiles the model, else ``pysd``.

Batch engines keep their generated functions and are reused while the model file is unchanged;
every ``pysd`` request gets a fresh :class:`PysdEngine` (each reloads its model for every run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final, Literal, get_args

from sdmission.errors import ModelError
from sdmission.model.engines.protocol import Engine
from sdmission.model.translate import model_hash

EngineName = Literal["auto", "batch", "pysd"]
#: Every engine choice, in the order the CLI lists them.
ENGINE_CHOICES: Final[tuple[str, ...]] = get_args(EngineName)
#: The engines themselves (what ``Engine.name`` can be).
ENGINES: Final[tuple[str, ...]] = ("batch", "pysd")
ENGINE_HELP: Final = ("auto: batch when it compiles the model, else pysd; batch: vectorised, "
                      "checked against PySD; pysd: the reference")

_BATCH: dict[tuple[str, str], Engine] = {}
# Models the batch engine could not compile (``auto`` uses pysd for them without trying again).
_NOT_BATCH: set[tuple[str, str]] = set()


def load_engine(mdl_path: Path | str, engine: str = "batch") -> Engine:
    """An engine for this model.

    Parameters
    ----------
    mdl_path
        Vensim ``.mdl`` file.
    engine
        ``"auto"``, ``"batch"`` or ``"pysd"`` (see the module docstring).

    Raises
    ------
    ModelError
        Unknown engine name, missing model file, or (``batch``) a model the batch engine cannot
        compile.
    """
    path = Path(mdl_path)
    if engine not in ENGINE_CHOICES:
        raise ModelError(f"unknown engine '{engine}'; choose one of {', '.join(ENGINE_CHOICES)}")
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    return _pysd(path) if resolve_engine_name(path, engine) == "pysd" else _batch(path)


def resolve_engine_name(mdl_path: Path | str, engine: str) -> str:
    """The engine ``engine`` stands for on this model: ``auto`` becomes ``batch`` or ``pysd``.

    Resolving ``auto`` compiles the batch engine (kept for :func:`load_engine`).
    """
    if engine != "auto":
        return engine
    path = Path(mdl_path)
    key = (str(path.resolve()), model_hash(path))
    if key in _NOT_BATCH:
        return "pysd"
    try:
        _batch(path)
    except ModelError:
        _NOT_BATCH.add(key)
        return "pysd"
    return "batch"


def _pysd(path: Path) -> Engine:
    from sdmission.model.engines.pysd import PysdEngine

    return PysdEngine(path)


def _batch(path: Path) -> Engine:
    from sdmission.model.engines.batch import BatchEngine

    key = (str(path.resolve()), model_hash(path))
    if key not in _BATCH:
        _BATCH[key] = BatchEngine(path)
    return _BATCH[key]


def fast_backend(engine: Engine) -> str | None:
    """The compiled backend a batch engine's single runs can use: ``"c"`` or None.

    ``"c"`` when a C compiler is found (``$SDMISSION_CC``, ``cc``, ``gcc`` or ``clang``), the
    model has nothing the C path refuses, and ``$SDMISSION_COMPILED`` is not ``0``. Callers check
    that the compiled run equals the numpy one before they rely on it (the explorer does, on its
    starting scenario).
    """
    import os

    from sdmission.errors import UnsupportedFunctionError
    from sdmission.model.engines.batch.compiled import c_compiler, c_supported

    if os.environ.get("SDMISSION_COMPILED", "1") == "0" or not hasattr(engine, "compiled"):
        return None
    if c_compiler() is None:
        return None
    try:
        c_supported(engine.model)  # type: ignore[attr-defined]
    except UnsupportedFunctionError:
        return None
    return "c"
