"""PySD translates and runs the project model without warnings (issue #2, 'done when').

Only deprecation warnings raised inside PySD's own pandas calls (pandas 3.1 'inplace') are let
through: they are PySD's, not the model's.
"""

from __future__ import annotations

import shutil
import warnings

import pandas.errors
import pysd

from tests.conftest import PROJECT_MODEL


def test_pysd_translates_and_runs_without_warnings(tmp_path) -> None:
    copy = tmp_path / PROJECT_MODEL.name
    shutil.copyfile(PROJECT_MODEL, copy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=pandas.errors.Pandas4Warning)
        model = pysd.read_vensim(str(copy))
        out = model.run(return_columns=["industry_ghg", "circular_share"], final_time=2020)
    assert abs(out["industry_ghg"].iloc[0] - 55.1) < 1e-9  # 2015 data by construction
    assert len(out) == 6
