"""The explorer's JSON API on the project model, and the saved scenario's round trip through `run`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sdmission.cli import main
from sdmission.model.catalogue import load_catalogue
from sdmission.scenario.check import check_scenario
from sdmission.scenario.load import load_scenario

pytest.importorskip("starlette")
pytest.importorskip("httpx2")
from starlette.testclient import TestClient  # noqa: E402

from sdmission.explore.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
LEVY_200_FROM_2027 = {"co2_levy_tariff": {"level": 200, "start": 2027, "ramp": 0},
                      "innovation_procurement": {"level": 1200, "start": 2025, "ramp": 5}}


@pytest.fixture(scope="module")
def save_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("explore-save")


@pytest.fixture(scope="module")
def client(save_dir: Path) -> TestClient:
    app = create_app(SCENARIOS / "baseline.yaml", scenarios_dir=SCENARIOS, save_dir=save_dir)
    return TestClient(app)


def test_meta_has_one_control_per_lever_with_the_model_limits(client: TestClient) -> None:
    meta = client.get("/api/meta").json()
    catalogue = load_catalogue(ROOT / "models" / "sdmission.mdl")
    levers = {v.py_name: v for v in catalogue.of_kind("lever")}
    controls = {c["name"]: c for c in meta["controls"]}
    assert set(levers) <= set(controls)
    assert "eu_ets_price" in controls and controls["eu_ets_price"]["family"] == "assumptions"
    for name, var in levers.items():
        c = controls[name]
        assert c["units"] == var.units
        if not c["elements"]:
            assert (c["low"], c["high"]) == var.limits, name
        assert c["family"] != "other", f"{name} has no instrument family"
    levy = controls["co2_levy_tariff"]
    assert levy["base"][levy["base_years"].index(2030)] == pytest.approx(127.05)
    assert meta["scenario"]["name"] == "baseline"
    assert {s["key"] for s in meta["scenarios"]} >= {"baseline", "mission-mix", "procurement"}
    assert [t["id"] for t in meta["ghost"]["targets"]] == [
        "national-ghg-2030", "national-ghg-2050", "circular-2040", "circular-2050"]


def test_labels_in_both_languages(client: TestClient) -> None:
    en, nl = client.get("/api/meta?lang=en").json(), client.get("/api/meta?lang=nl").json()
    label = {lang: {c["name"]: c["label"] for c in m["controls"]} for lang, m in (("en", en), ("nl", nl))}
    assert label["en"]["co2_levy_tariff"] == "CO₂ levy tariff"
    assert label["nl"]["co2_levy_tariff"] == "Tarief CO₂-heffing"
    assert en["ui"]["explore.save"] != nl["ui"]["explore.save"]
    assert client.get("/api/meta?lang=fr").status_code == 422


def test_a_higher_levy_lowers_national_ghg(client: TestClient) -> None:
    start = client.post("/api/run", json={"settings": {}}).json()
    res = client.post("/api/run", json={"settings": {"co2_levy_tariff": {"level": 300, "start": 2026}}}).json()
    years = res["series"]["years"]
    i = years.index(2030)
    assert res["series"]["national_ghg"][i] < start["series"]["national_ghg"][i]
    assert res["series"]["national_ghg"][: years.index(2026)] == start["series"]["national_ghg"][: years.index(2026)]
    by = {t["id"]: t for t in res["targets"]}
    assert by["national-ghg-2030"]["value"] > res["ghost_targets"][0]["value"]
    assert res["timing_ms"]["total"] > 0


def test_bad_settings_answer_every_problem(client: TestClient) -> None:
    r = client.post("/api/run", json={"settings": {"co2_levy_tariff": {"level": 5000},
                                                   "no_such_lever": {"level": 1}}})
    assert r.status_code == 422
    assert r.json()["errors"] == [
        "co2_levy_tariff: level 5000 outside the model's limits [0, 1000] EUR/tCO2",
        "no_such_lever: not a lever or assumption of the model",
    ]
    assert client.post("/api/run", json={"settings": [1]}).status_code == 422
    assert client.post("/api/run", json={"targets": "nope"}).status_code == 422


def test_saved_scenario_extends_the_start_holds_only_changes_and_run_reproduces_it(
        client: TestClient, save_dir: Path, tmp_path: Path) -> None:
    explored = client.post("/api/run", json={"settings": LEVY_200_FROM_2027}).json()
    r = client.post("/api/save", json={"settings": LEVY_200_FROM_2027, "name": "levy-200-2027",
                                       "description": "A 200 EUR/t levy from 2027, doubled procurement.",
                                       "targets": "design"})
    assert r.status_code == 200, r.text
    path = Path(r.json()["path"])
    assert path == save_dir / "levy-200-2027.yaml"
    scn = load_scenario(path)
    assert scn.chain[1].path == (SCENARIOS / "baseline.yaml").resolve()
    assert set(scn.chain[0].file.levers) == set(LEVY_200_FROM_2027)
    assert not scn.chain[0].file.assumptions
    assert "200 EUR/t levy from 2027" in scn.description
    assert "co2_levy_tariff" in scn.description
    assert check_scenario(scn, load_catalogue(scn.model_path)) == []
    assert main(["validate", str(path)]) == 0
    # the same numbers from `python -m sdmission run`: the explorer runs the C path, `run` (one run
    # of a new plan) the numpy path; the two agree within the engines' agreement tolerance
    # (rtol 1e-9, tests/integration/test_batch_agreement.py), far below any printed digit
    out = tmp_path / "results"
    assert main(["run", str(path), "--out", str(out)]) == 0
    with xr.open_dataset(out / "levy-200-2027.nc") as ds:
        assert ds["time"].values.tolist() == explored["series"]["years"]
        for var in ("national_ghg", "industry_ghg", "circular_share", "ghg_reduction_vs_1990"):
            np.testing.assert_allclose(ds[var].values, np.asarray(explored["series"][var]), rtol=1e-9, atol=0,
                                       err_msg=var)
        np.testing.assert_allclose(ds["public_cost"].sum("instrument").values,
                                   np.asarray(explored["series"]["public_cost_total"]), rtol=1e-9, atol=0)
    # saving again under the same name is refused; the start scenario's own file never
    again = client.post("/api/save", json={"settings": LEVY_200_FROM_2027, "name": "levy-200-2027"})
    assert again.status_code == 422 and "exists" in again.json()["errors"][0]
    bad = client.post("/api/save", json={"settings": {}, "name": "no spaces"})
    assert bad.status_code == 422 and "invalid scenario name" in bad.json()["errors"][0]


def test_any_scenario_can_be_the_start(client: TestClient, save_dir: Path) -> None:
    meta = client.get("/api/meta?scenario=mission-mix").json()
    controls = {c["name"]: c for c in meta["controls"]}
    gov = controls["governance_capacity_target"]
    assert gov["base"][gov["base_years"].index(2030)] == pytest.approx(300)
    user = save_dir / "user.yaml"
    user.write_text("name: user\nextends: " + str(SCENARIOS / "procurement.yaml") + "\n")
    key = client.post("/api/open", json={"path": str(user)}).json()["key"]
    assert client.get(f"/api/meta?scenario={key}").json()["scenario"]["name"] == "user"
    assert client.post("/api/open", json={"path": str(save_dir / 'missing.yaml')}).status_code == 422


def test_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["explore", "--help"])
    assert done.value.code == 0
    assert "--save-dir" in capsys.readouterr().out
    assert main(["explore", "no-such-scenario", "--scenarios-dir", str(SCENARIOS)]) == 1
    err = capsys.readouterr().err
    assert "SCENARIO: unknown scenario (given 'no-such-scenario'; allowed: base, baseline," in err


def test_page_and_vendored_chart_library_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "/static/uPlot.iife.min.js" in page.text
    assert "http" not in page.text.replace("http-equiv", ""), "the page must load nothing from outside"
    for name in ("uPlot.iife.min.js", "uPlot.min.css", "explore.js", "explore.css"):
        assert client.get(f"/static/{name}").status_code == 200, name


def test_uncertainty_band(client: TestClient) -> None:
    res = client.post("/api/band", json={"settings": LEVY_200_FROM_2027, "members": 8}).json()
    assert res["members"] == 8 and len(res["years"]) == len(res["national_ghg"]["p05"])
    i = res["years"].index(2050)
    assert res["national_ghg"]["p05"][i] < res["national_ghg"]["p95"][i]
    assert client.post("/api/band", json={"members": 1}).status_code == 422


def test_subscripted_lever_and_assumption_become_valid_paths(client: TestClient, save_dir: Path) -> None:
    settings = {"regional_experiments": {"level": 120, "start": 2027, "ramp": 3},
                "eu_ets_price": {"level": 300, "start": 2030, "ramp": 10},
                "conventional_phaseout_year": {"level": 2040}}
    r = client.post("/api/save", json={"settings": settings, "name": "regions-ets"})
    assert r.status_code == 200, r.text
    scn = load_scenario(r.json()["path"])
    own = scn.chain[0].file
    assert set(own.levers) == {"regional_experiments", "conventional_phaseout_year"}
    assert set(own.assumptions) == {"eu_ets_price"}
    assert own.levers["conventional_phaseout_year"] == 2040
    assert set(own.levers["regional_experiments"]) == {
        "Rotterdam_Moerdijk", "Noordzeekanaalgebied", "Zeeland_West_Brabant", "Chemelot",
        "Noord_Nederland", "Cluster_6"}
    assert check_scenario(scn, load_catalogue(scn.model_path)) == []
    res = client.post("/api/run", json={"settings": settings}).json()
    assert res["series"]["national_ghg"] != client.post("/api/run", json={}).json()["series"]["national_ghg"]


def test_another_target_set(client: TestClient) -> None:
    res = client.post("/api/run", json={"settings": {}, "targets": "klimaatwet-2023"}).json()
    assert [t["id"] for t in res["targets"]] == ["national-ghg-2030", "climate-neutral-2050"]
    assert [t["id"] for t in res["ghost_targets"]] == ["national-ghg-2030", "climate-neutral-2050"]
    meta = client.get("/api/meta?targets=klimaatakkoord-industry").json()
    assert meta["target_set"] == "klimaatakkoord-industry"
    assert [t["id"] for t in meta["ghost"]["targets"]] == ["industry-residual-2030"]


def test_a_taken_port_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["explore", "--scenarios-dir", str(SCENARIOS), "--port", str(port)]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err
