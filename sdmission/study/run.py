"""Run a checked scenario on an engine and label the result.

:func:`simulate_case` runs a :class:`sdmission.study.case.Case` (what ``python -m sdmission run``
does); :func:`simulate` checks and runs a bare scenario on a given engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import xarray as xr

from sdmission.model.catalogue import Catalogue
from sdmission.model.engines.protocol import Engine
from sdmission.model.translate import model_hash
from sdmission.scenario.check import checked, scenario_inputs
from sdmission.scenario.load import Scenario
from sdmission.study.results import build_dataset, project_path, provenance

if TYPE_CHECKING:
    from sdmission.study.case import Case


def simulate(
    scn: Scenario,
    engine: Engine,
    catalogue: Catalogue,
    *,
    command: str | None = None,
    return_vars: Sequence[str] | None = None,
) -> xr.Dataset:
    """Check ``scn`` against ``catalogue``, run it on ``engine`` and return the labelled Dataset.

    Parameters
    ----------
    scn
        A merged scenario (see :func:`sdmission.scenario.load.load_scenario`).
    engine
        Any :class:`sdmission.model.engines.protocol.Engine` loaded from ``scn.model_path``.
    catalogue
        The model's variable table.
    command
        Command line recorded in the provenance (default: ``sys.argv``).
    return_vars
        Variables to keep (default: all).

    Returns
    -------
    xr.Dataset
        Dims ``(time, <subscripts…>)``; see :func:`sdmission.study.results.build_dataset`.
    """
    checked(scn, catalogue)
    return _run(scn, engine, catalogue, scenario_inputs(scn, catalogue), command, return_vars)


def simulate_case(case: Case, *, command: str | None = None,
                  return_vars: Sequence[str] | None = None) -> xr.Dataset:
    """Run a prepared case (checked by :func:`sdmission.study.case.prepare`); see :func:`simulate`."""
    return _run(case.scenario, case.engine, case.catalogue, case.inputs, command, return_vars)


def _run(scn: Scenario, engine: Engine, catalogue: Catalogue, inputs: Mapping[str, xr.DataArray],
         command: str | None, return_vars: Sequence[str] | None) -> xr.Dataset:
    raw = engine.run(inputs, return_vars=return_vars, final_time=scn.final_time)
    attrs = provenance(
        model_path=scn.model_path,
        model_sha256=model_hash(scn.model_path),
        engine=engine.name,
        command=command,
        extra={
            "scenario_description": scn.description,
            "scenario_sources": "\n".join(scn.sources),
            "scenario_chain": scn.chain_text(),
            "scenario_files": "\n".join(project_path(link.path) for link in scn.chain),
            "scenario_yaml_merged": scn.merged_yaml(),
            "scenario_yaml_raw": scn.raw_yaml(),
            "target_set": scn.targets,
        },
    )
    return build_dataset(raw, catalogue, scenario=scn.name, attrs=attrs)
