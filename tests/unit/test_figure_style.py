"""The one figure style (issue #17): Dutch figures hold no English, families share axes, colours
go by scenario name and survive deuteranopia, SVG text stays text, images do not drift.

Figures are drawn from real PySD output of the demo model (:mod:`tests.unit.test_plots_demo_data`).
"""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import matplotlib.image as mpimg
import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.text import Text
from pydantic import ValidationError

from sdmission import report
from sdmission.analysis.contributions import INSTRUMENT_DIM, Decomposition
from sdmission.analysis.discovery import Box, PrimResult
from sdmission.analysis.optimise.search import OptimiseResult, Solution
from sdmission.constants import MEMBER, SCENARIO, TIME
from sdmission.report import labels, style
from sdmission.report.contributions import TOP, wedge_figure
from sdmission.report.emissions import emission_wedges
from sdmission.report.figures import REPORT_TARGETS, all_figures, resolve_targets
from sdmission.report.identity import SPARE_COLORS, scenario_colors
from sdmission.report.optimise import best_so_far, plot_convergence, plot_pareto
from sdmission.report.uncertainty import fan_chart, prim_plot, sobol_bars
from sdmission.schema.optimise import ParetoSpec
from sdmission.schema.scenario import ScenarioFile
from sdmission.study.targets import get_target_set
from tests.unit.test_plots_demo_data import demo_ensemble, demo_runs

FIGURE_DATA = Path(__file__).resolve().parents[1] / "data" / "figures"

# Proper names, abbreviations and units that are the same in a Dutch text. Everything else an
# English label uses and no Dutch label does counts as English (see english_words).
ALLOWED: frozenset[str] = frozenset({
    "sdmission", "cbs", "rivm", "eurostat", "klimaatwet", "klimaatakkoord", "emissieregistratie",
    "invest-nl", "sde", "ccs", "co₂", "co₂-eq", "mt", "cei_srm030", "rotterdam-moerdijk",
    "chemelot", "zeeland-west-brabant", "index", "sobol", "prim", "industriepolitiek", "groene",
    "missiemix", "basispad", "st", "s1",
})


def words(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-zÀ-ÿ₂][A-Za-zÀ-ÿ₂'_+-]{2,}", text)}


def english_words() -> set[str]:
    """Words of the English label column that no Dutch label uses, minus proper names."""
    en: set[str] = set()
    nl: set[str] = set()
    for e, n in labels.LABELS.values():
        en |= words(e)
        nl |= words(n)
    return en - nl - ALLOWED


def texts(fig: Figure) -> list[str]:
    """Every text drawn on ``fig`` (tick labels included: the figure is drawn first)."""
    fig.canvas.draw()
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def assert_dutch(fig: Figure, name: str) -> None:
    english = english_words()
    found = {w for t in texts(fig) for w in words(t) if w in english}
    assert not found, f"{name}: English words in a Dutch figure: {sorted(found)}"
    raw = [t for t in texts(fig) if re.search(r"\b[a-z]+_[a-z_]+\b", t) and "cei_srm030" not in t]
    assert not raw, f"{name}: python names in a figure: {raw}"
    vensim = [t for t in texts(fig) if re.search(r"MtCO2/Year|\bDmnl\b|\bMEUR\b", t)]
    assert not vensim, f"{name}: Vensim units in a figure: {vensim}"


@pytest.fixture(scope="module")
def runs() -> dict[str, xr.Dataset]:
    return demo_runs()


@pytest.fixture(scope="module")
def nl_figures(runs) -> dict[str, Figure]:
    return dict(all_figures(runs, resolve_targets(None), lang="nl"))


# --- no English in a Dutch figure ----------------------------------------------------------------

def test_english_vocabulary_is_not_empty_and_catches_english():
    english = english_words()
    assert {"observed", "target", "source", "emissions"} <= english
    assert not english & {"scenario", "per", "index"}  # also Dutch words


def test_every_report_figure_in_dutch_has_no_english_text(nl_figures):
    assert len(nl_figures) == 3 + 3 * 2
    for name, fig in nl_figures.items():
        assert_dutch(fig, name)


def test_uncertainty_and_optimiser_figures_in_dutch_have_no_english_text():
    ens = demo_ensemble(12).expand_dims({SCENARIO: ["mission-mix"]})
    fig = fan_chart(ens, ["national_ghg", "industry_ghg", "circular_share"],
                    target_set=resolve_targets(None), lang="nl")
    assert_dutch(fig, "fans")
    idx = xr.Dataset(
        {k: (("metric", "uncertainty"), np.array([[0.5, 0.2]])) for k in ("S1", "ST")}
        | {k: (("metric", "uncertainty"), np.array([[0.05, 0.02]])) for k in ("S1_conf", "ST_conf")},
        coords={"metric": ["industry_ghg"], "uncertainty": ["capture_rate", "levy_response"]})
    names = {"capture_rate": "Afvangpercentage", "levy_response": "Reactie op de heffing"}
    assert_dutch(sobol_bars(idx, lang="nl", names=names), "sobol")
    box = Box(limits={"capture_rate": (0.5, 0.7)}, restricted=("capture_rate",), coverage=0.8,
              density=0.6, mass=0.3, n=30)
    prim = PrimResult(trajectory=(box,), box=box, base_rate=0.2, n_points=100, n_interest=20,
                      full_range={"capture_rate": (0.4, 0.95)}, labels=("capture_rate",))
    assert_dutch(prim_plot(prim, lang="nl", names=names), "prim")
    assert_dutch(plot_convergence(_convergence(), lang="nl", scenario="mission-mix"), "convergence")
    design = get_target_set("design")
    for aggregate in ("sum", "mean", "min", "max", "final"):
        spec = ParetoSpec.model_validate({"metric": "industry_ghg", "aggregate": aggregate,
                                          "window": [2025, 2050], "points": 4})
        fig = plot_pareto(_pareto(dropped=[design.targets[0].id]), spec, lang="nl",
                          scenario="mission-mix", targets=design)
        assert_dutch(fig, f"pareto ({aggregate})")
        # a target left out of the front is named by its Dutch label, not by its id
        source = " ".join(texts(fig)).replace("\n", " ")
        assert design.targets[0].id not in source and design.targets[0].label_nl in source
    assert_dutch(plot_pareto(_pareto(), ParetoSpec(), lang="nl", scenario="mission-mix"),
                 "pareto (every target met)")
    for method in ("shapley", "loo"):  # loo also draws the interaction
        fig = wedge_figure(_decomposition(method), scenario="mission-mix", reference="baseline",
                           lang="nl", start=2025)
        assert_dutch(fig, f"contributions ({method})")


def test_unknown_parameter_falls_back_to_readable_name_not_python_name():
    assert labels.variable("relative_intensity[conventional]") == \
        "Relative intensity: Conventional (fossil)"
    assert labels.unit("MtCO2/Year", "nl") == "Mt CO₂-eq/jaar"
    assert labels.unit("MEUR/Year", "nl") == "mln €₂₀₂₄/jaar"


# --- report conventions --------------------------------------------------------------------------

def test_report_figures_have_no_title_unless_asked(runs, nl_figures):
    for name, fig in nl_figures.items():
        assert not fig.get_suptitle(), name
        assert not [lg for lg in fig.legends if lg.get_title().get_text()], name
    titled = dict(all_figures(runs, None, lang="en", title=True))
    # with a shared legend on top the title heads the legend (a suptitle would overlap it)
    assert titled["ghg_trajectories"].legends[0].get_title().get_text() == "Greenhouse-gas emissions"
    assert titled["emissions_baseline"].get_suptitle().startswith("Industry emissions")


def test_source_lines_are_plain_words(nl_figures):
    source = [t for t in nl_figures["ghg_trajectories"].findobj(Text) if t.get_gid() == "source"]
    text = source[0].get_text().replace("\n", " ")
    assert text.startswith("Bron: modelberekening (sdmission) voor de scenario's Basispad en Missiemix")
    assert "scenario('s)" not in text and "set '" not in text
    assert "Klimaatakkoord-doel voor de industrie" in text
    circular = [t for t in nl_figures["circular_share"].findobj(Text) if t.get_gid() == "source"]
    assert "Klimaatakkoord" not in circular[0].get_text()  # no industry target drawn there


def test_euro_axes_name_the_price_base_year(nl_figures):
    cost = nl_figures["public_cost_mission-mix"]
    assert cost.axes[0].get_ylabel() == "mln €₂₀₂₄/jaar"
    assert cost.axes[1].get_xlabel() == "mld €₂₀₂₄"


def test_industry_panel_marks_the_klimaatakkoord_goal(nl_figures):
    industry = nl_figures["ghg_trajectories"].axes[1]
    marks = [a for a in industry.get_children() if a.get_gid() == "target:industry-residual-2030"]
    assert marks and marks[0].get_ydata()[0] == pytest.approx(35.7)
    assert REPORT_TARGETS == "design+klimaatakkoord-industry"


def test_baseline_is_drawn_on_top(nl_figures):
    ax = nl_figures["ghg_trajectories"].axes[0]
    lines = {ln.get_gid(): ln for ln in ax.lines}
    assert lines["scenario:baseline"].get_zorder() > lines["scenario:mission-mix"].get_zorder()


def test_wedges_legend_has_the_total_line(nl_figures):
    legend = nl_figures["emissions_baseline"].axes[0].get_legend()
    assert "Totale uitstoot" in [t.get_text() for t in legend.get_texts()]


def test_public_cost_has_a_legend_and_no_zero_value_labels(nl_figures):
    fig = nl_figures["public_cost_baseline"]
    assert fig.legends, "stacked areas need a legend"
    assert not [t for t in fig.axes[1].texts if t.get_text() in ("0,0", "−0,0", "0.0")]


def test_wedges_use_a_sector_dim_when_present(runs):
    ds = runs["mission-mix"].copy()
    re_ = ds["route_emissions"]
    ds["route_emissions"] = xr.concat([re_ * 0.6, re_ * 0.4], dim="sector").assign_coords(
        sector=["steel", "chemicals"])
    fig = emission_wedges({"mission-mix": ds}, lang="nl")
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["Per sector", "Per cluster", "Per route"]


# --- families share their axes -------------------------------------------------------------------

@pytest.mark.parametrize("family,panel,axis", [
    ("public_cost_", 0, "y"), ("public_cost_", 1, "x"), ("emissions_", 0, "y"),
    ("innovation_", 0, "y"), ("innovation_", 1, "y"),
])
def test_every_figure_family_shares_its_axes(nl_figures, family, panel, axis):
    pages = {k: f for k, f in nl_figures.items() if k.startswith(family)}
    assert len(pages) == 2
    limits = {k: getattr(f.axes[panel], f"get_{axis}lim")() for k, f in pages.items()}
    first = next(iter(limits.values()))
    for k, lim in limits.items():
        assert lim == pytest.approx(first), f"{k}: {axis} axis {lim} differs from {first}"


# --- colours: by name, colour-blind safe ---------------------------------------------------------

def test_colours_go_by_name_not_position():
    alone = scenario_colors(["my-new-run"])["my-new-run"]
    # shipped scenarios never take a spare colour, so beside them a new name keeps its own
    assert scenario_colors([*style.SCENARIO_COLORS, "my-new-run"])["my-new-run"] == alone
    assert alone in SPARE_COLORS
    shipped = scenario_colors(["other", "mission-mix"])
    assert shipped["mission-mix"] == style.SCENARIO_COLORS["mission-mix"]
    # as many new names as spare colours: no colour twice (beyond that line styles tell them apart)
    assert len(set(scenario_colors(list("abcdef")).values())) == len(SPARE_COLORS) == 6


def test_spare_colours_stay_apart_from_the_palette():
    for spare in SPARE_COLORS:
        for shipped in style.SCENARIO_COLORS.values():
            for cvd in (False, True):
                d = float(np.linalg.norm(_lab(spare, cvd) - _lab(shipped, cvd)))
                assert d >= 13.0, f"{spare} and {shipped}: {d:.1f} (deuteranopia={cvd})"


def test_every_shipped_scenario_has_a_display_name_in_both_languages():
    """No slug in a report figure: a table label, or label and label_nl in the file."""
    from ruamel.yaml import YAML

    root = Path(__file__).resolve().parents[2] / "scenarios"
    for path in sorted(root.glob("*.yaml")):
        data = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
        if data.get("abstract"):
            continue
        name = data.get("name") or path.stem
        assert f"scenario.{name}" in labels.LABELS or (data.get("label") and data.get("label_nl")), \
            f"{path.name}: no display name (add label/label_nl or a row in report/labels.py)"


def test_scenario_file_label_and_colour_reach_the_figure(runs):
    ds = runs["mission-mix"].copy()
    ds.attrs["scenario_yaml_raw"] = ("# --- file: scenarios/mine.yaml\nlabel: My mix\n"
                                     "label_nl: Mijn mix\ncolour: '#123456'\n"
                                     "# --- file: scenarios/base.yaml\nlabel: Base\n")
    fig = report.ghg_trajectories({"mine": ds}, lang="nl")
    line = [ln for ln in fig.axes[0].lines if ln.get_gid() == "scenario:mine"][0]
    assert line.get_color() == "#123456" and line.get_label() == "Mijn mix"
    assert [ln for ln in report.ghg_trajectories({"mine": ds}).axes[0].lines
            if ln.get_gid() == "scenario:mine"][0].get_label() == "My mix"


def test_schema_accepts_label_fields_and_rejects_a_bad_colour():
    f = ScenarioFile.model_validate({"label": "Mine", "label_nl": "Mijn", "colour": "#A1b2C3"})
    assert (f.label, f.label_nl, f.colour) == ("Mine", "Mijn", "#A1b2C3")
    with pytest.raises(ValidationError):
        ScenarioFile.model_validate({"colour": "red"})


_DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],  # Machado, Oliveira & Fernandes 2009,
                          [0.280085, 0.672501, 0.047413],   # severity 1.0, linear RGB
                          [-0.011820, 0.042940, 0.968881]])


def _lab(hex_colour: str, cvd: bool) -> np.ndarray:
    c = np.asarray(to_rgb(hex_colour))
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    if cvd:
        lin = np.clip(_DEUTERANOPIA @ lin, 0.0, 1.0)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("name,palette,minimum", [
    ("clusters", style.CLUSTER_PALETTE, 25.0),
    ("routes", tuple(style.ROUTE_COLORS.values()), 20.0),
    ("scenarios", tuple(style.SCENARIO_COLORS.values()), 15.0),  # lines also differ in dash
])
def test_palettes_stay_apart_under_deuteranopia(name, palette, minimum):
    """ΔE*ab between any two colours, in normal vision and simulated deuteranopia.

    About 10 is where neighbouring areas start to read as one colour; the cluster palette was
    chosen for ≥ 29, routes reach 23.6, scenario lines 17.9 (they also differ in dash pattern).
    """
    for a, b in itertools.combinations(palette, 2):
        for cvd in (False, True):
            d = float(np.linalg.norm(_lab(a, cvd) - _lab(b, cvd)))
            assert d >= minimum, f"{name}: {a} and {b} are {d:.1f} apart (deuteranopia={cvd})"


# --- SVG text stays text -------------------------------------------------------------------------

def test_svg_text_is_editable(runs, tmp_path):
    fig = report.ghg_trajectories(runs, lang="nl")
    path = report.save_figure(fig, tmp_path / "ghg.svg")
    svg = path.read_text(encoding="utf-8")
    assert "<text" in svg and "Nationale broeikasgasemissies" in svg


# --- convergence ---------------------------------------------------------------------------------

def _convergence() -> Any:
    best = [900, 850, 820, 980, 960, 955, 990, 950]  # rises when the targets are first met
    worst = [0.3, 0.2, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0]
    history = [{"generation": g + 1, "best": b, "worst_violation": w}
               for g, (b, w) in enumerate(zip(best, worst, strict=True))]
    return SimpleNamespace(history=history)


def _pareto(dropped: list[str] | None = None) -> OptimiseResult:
    """A four-point front (cost up, cumulative emissions down) with its three named points."""
    g = np.zeros(2)
    front = [Solution(x=np.array([x]), cost=c, g=g, secondary=e)
             for x, c, e in ((30.0, 900.0, 610.5), (80.0, 1150.0, 520.0), (120.0, 1600.0, 480.25),
                             (150.0, 2400.0, 462.0))]
    return OptimiseResult(
        feasible=not dropped, best=front[0], labels=["co2_levy_tariff@2030"], lower=np.zeros(1),
        upper=np.full(1, 150.0), history=[], marginal_cost={}, binding=[], at_bounds=[], seed=1,
        n_evals=40, n_calls=10, eval_seconds=1.0, wall_seconds=1.0, pareto=front,
        pareto_roles={"cheapest": 0, "knee": 1, "lowest": 3}, pareto_dropped=list(dropped or []))


#: Instruments of a decomposition as ``contributions`` names them: lever groups
#: (``sdmission.analysis.contributions.DEFAULT_GROUPS``) and single levers, more than TOP of them.
INSTRUMENTS = ("co2_levy", "invest_nl", "sde", "emission_standard", "innovation_procurement",
               "recycled_content_mandate", "governance_capacity_target", "regional_experiments",
               "compensation", "topsector_exclusivity")


def _decomposition(method: str) -> Decomposition:
    """Industry GHG of a reference and a scenario, 2015–2050, split over :data:`INSTRUMENTS`."""
    years = np.arange(2015.0, 2051.0)
    ramp = np.clip((years - 2025.0) / 10.0, 0.0, 1.0)
    sizes = np.linspace(-6.0, 0.5, len(INSTRUMENTS))  # one instrument raises emissions a little
    contribution = sizes[:, None] * ramp[None, :]
    interaction = -1.5 * ramp
    reference = 60.0 - 0.4 * (years - 2015.0)
    total = contribution.sum(axis=0) + (interaction if method == "loo" else 0.0)
    coords = {INSTRUMENT_DIM: list(INSTRUMENTS), TIME: years}
    ds = xr.Dataset({
        "industry_ghg_contribution": ((INSTRUMENT_DIM, TIME), contribution),
        "industry_ghg_interaction": ((TIME,), interaction),
        "industry_ghg_total": ((TIME,), total),
        "industry_ghg_reference": ((TIME,), reference),
        "industry_ghg_scenario": ((TIME,), reference + total),
    }, coords=coords)
    assert len(INSTRUMENTS) > TOP  # the figure also draws its 'other instruments' wedge
    members = 2 ** len(INSTRUMENTS) if method == "shapley" else len(INSTRUMENTS) + 2
    return Decomposition(method, {n: (n,) for n in INSTRUMENTS}, ds, members)  # type: ignore[arg-type]


def test_convergence_line_never_rises():
    line = best_so_far(np.array([900, 980, 960, 990, 950.0]), np.array([0.2, 0, 0, 0, 0.0]))
    assert np.isnan(line[0])
    assert list(line[1:]) == [980, 960, 960, 950]
    fig = plot_convergence(_convergence())
    drawn = [ln for ln in fig.axes[0].lines if ln.get_gid() == "best_feasible"][0].get_ydata()
    finite = np.asarray(drawn, dtype=float)[~np.isnan(np.asarray(drawn, dtype=float))]
    assert (np.diff(finite) <= 0).all()


# --- visual regression ---------------------------------------------------------------------------

#: Mean absolute difference per pixel and channel (0..1 scale) that still passes. Measured at
#: IMAGE_DPI on ghg_trajectories: the same figure drawn twice differs by 0.0; moving one scenario's
#: national line by 0.5 % gives 0.00029, by 1 % 0.00053, by 2 % 0.00083. The bound passes
#: nothing a reader could see (a 1 % move fails, test_image_diff_sees_a_small_change) and is
#: still far above zero: matplotlib wheels bundle their FreeType and DejaVu fonts, so the same
#: matplotlib renders the same pixels on every machine; a new matplotlib may need --regen-figures.
IMAGE_TOLERANCE = 0.00025
IMAGE_DPI = 60


def _png(fig: Figure) -> np.ndarray:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=IMAGE_DPI, metadata={"Software": None})
    buf.seek(0)
    return np.asarray(mpimg.imread(buf), dtype=float)


def _key_figures(runs: dict[str, xr.Dataset]) -> dict[str, Figure]:
    figs = dict(all_figures(runs, resolve_targets(None), lang="nl"))
    return {k: figs[k] for k in ("ghg_trajectories", "circular_share", "public_cost_mission-mix",
                                 "emissions_mission-mix")}


def test_key_figures_match_their_reference_images(runs, regen_figures):
    for name, fig in _key_figures(runs).items():
        path = FIGURE_DATA / f"{name}_nl.png"
        image = _png(fig)
        if regen_figures or not path.exists():
            if not regen_figures:
                pytest.fail(f"no reference image {path}; run pytest --regen-figures")
            path.parent.mkdir(parents=True, exist_ok=True)
            mpimg.imsave(path, image)
            continue
        ref = np.asarray(mpimg.imread(path), dtype=float)
        assert ref.shape == image.shape, f"{name}: size {image.shape} != reference {ref.shape}"
        diff = float(np.abs(ref - image).mean())
        assert diff <= IMAGE_TOLERANCE, (f"{name}: differs from {path.name} by {diff:.5f} "
                                         f"(> {IMAGE_TOLERANCE}); if intended, run "
                                         "pytest --regen-figures and commit the images")


def test_image_diff_sees_a_small_change(runs):
    """The tolerance is not so loose that a visibly moved line passes."""
    moved = {k: v.copy() for k, v in runs.items()}
    moved["mission-mix"]["national_ghg"] = moved["mission-mix"]["national_ghg"] * 1.01
    a = _png(report.ghg_trajectories(runs, lang="nl"))
    b = _png(report.ghg_trajectories(moved, lang="nl"))
    assert float(np.abs(a - b).mean()) > IMAGE_TOLERANCE


def test_fans_start_after_the_observed_history():
    ens = demo_ensemble(12).expand_dims({SCENARIO: ["mission-mix"]})
    fig = fan_chart(ens, ["national_ghg"], lang="nl")
    band = [c for c in fig.axes[0].collections if c.get_gid() == "scenario:mission-mix:band90"][0]
    xs = np.concatenate([p.vertices[:, 0] for p in band.get_paths()])
    assert xs.min() >= 2023.0
    assert MEMBER in ens.dims and TIME in ens.dims


# --- names of uncertain parameters ---------------------------------------------------------------

def test_every_uncertain_parameter_of_the_project_model_has_a_name_in_both_languages():
    """``defaults: all`` on the project table is what ensemble/sensitivity/discover sample."""
    from sdmission.analysis.parameter_table import read_table_csv
    from sdmission.analysis.uncertainty import load_uncertainties
    from sdmission.report.parameter_labels import PARAMETER_LABELS

    table_csv = Path(__file__).resolve().parents[2] / "models" / "parameters.csv"
    table = report_table(table_csv, read_table_csv(table_csv))
    sampled = {u.name for u in load_uncertainties({"defaults": "all"}, None, table).uncertainties}
    assert len(sampled) > 50  # the resolver found the table's ranges
    missing = sorted(sampled - set(PARAMETER_LABELS))
    assert not missing, f"uncertain parameters without a figure name: {missing}"
    known = {r.name for r in table.rows}
    stale = sorted(set(PARAMETER_LABELS) - known)
    assert not stale, f"figure names for parameters the table no longer has: {stale}"
    for name in sampled:
        en, nl = PARAMETER_LABELS[name]
        assert en and nl and "_" not in en + nl, name
        # the figure shows the name, not the python name, in both languages
        assert labels.variable(name, "en") == en and labels.variable(name, "nl") == nl, name


def report_table(source: Path, rows: tuple) -> Any:
    from sdmission.analysis.parameter_table import ParameterTable

    return ParameterTable(rows=rows, source=str(source))
