"""Batch engine: compile a Vensim model once, run thousands of ensemble members in one numpy loop.

``compiler`` (PySD abstract model → ``ir``), ``codegen`` (``ir`` → one numpy function) and
``engine`` (``BatchEngine``, the ``Engine`` implementation).
"""

from sdmission.model.engines.batch.engine import BatchEngine, load_ir

__all__ = ["BatchEngine", "load_ir"]
