"""P(met) and ranking tables from target checks of an ensemble (no model needed)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from sdmission.analysis.ensemble import pmet_table, ranking
from sdmission.study.targets import check_all, get_target_set

YEARS = np.arange(2015.0, 2051.0)


def _ens(reduction_2030: list[float]) -> xr.Dataset:
    n = len(reduction_2030)
    red = np.tile(np.linspace(0.1, 0.96, YEARS.size), (n, 1))
    red[:, YEARS == 2030] = np.asarray(reduction_2030)[:, None]
    circ = np.full((n, YEARS.size), 0.8)
    return xr.Dataset({"ghg_reduction_vs_1990": (("member", "time"), red),
                       "circular_share": (("member", "time"), circ)},
                      coords={"member": np.arange(n), "time": YEARS})


def test_pmet_counts_nonfinite_members_as_not_met_and_reports_them():
    ts = get_target_set("design")
    checks = {"a": check_all(_ens([0.5, 0.6, np.nan, 0.3]), ts),
              "b": check_all(_ens([0.5, 0.6, 0.7, 0.8]), ts)}
    rows = {(r["scenario"], r["target"]): r for r in pmet_table(checks)}
    assert rows[("a", "national-ghg-2030")]["p_met"] == 0.5
    assert rows[("a", "national-ghg-2030")]["nonfinite"] == 1
    assert rows[("a", "all")]["nonfinite"] == 1 and rows[("b", "all")]["nonfinite"] == 0
    assert rows[("b", "national-ghg-2030")]["p_met"] == 1.0
    assert rows[("b", "circular-2050")]["p_met"] == 0.0  # 0.8 < 1.0
    order = ranking(checks)
    assert [(r["rank"], r["scenario"]) for r in order] == [(1, "b"), (2, "a")]
    assert order[0]["p_all_met"] == 0.0 and order[0]["mean_p_met"] > order[1]["mean_p_met"]
