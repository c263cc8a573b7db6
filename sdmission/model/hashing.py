"""The content hash that names a model version (cache keys, provenance)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def content_hash(data: bytes) -> str:
    """SHA-256 of a model file's bytes (hex, 64 chars)."""
    return hashlib.sha256(data).hexdigest()


def model_hash(mdl_path: Path | str) -> str:
    """SHA-256 of the model file's bytes (hex, 64 chars)."""
    return content_hash(Path(mdl_path).read_bytes())
