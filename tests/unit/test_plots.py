"""Figures: artists, values, targets, languages and errors (data from a real PySD run)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sdmission import report as plots
from sdmission.constants import (
    CLUSTERS,
    FUNCTIONS,
    INDUSTRY_GHG_1990_MT,
    INSTRUMENTS,
    NATIONAL_GHG_1990_MT,
    ROUTES,
)
from sdmission.errors import InputError, SdmissionError
from sdmission.report import labels
from sdmission.study.targets import Target, TargetSet, get_target_set
from tests.unit.test_plots_demo_data import demo_ensemble, demo_runs


@pytest.fixture(scope="module")
def runs() -> dict[str, xr.Dataset]:
    return demo_runs()


@pytest.fixture(scope="module")
def design() -> TargetSet:
    return get_target_set("design")


def industry_set() -> TargetSet:
    """A hand-made set: an industry reduction target, an absolute cap and a circular target."""
    return TargetSet(
        name="test-industry", description="test", source="test",
        targets=(
            Target("ind-red-2035", "industry_ghg_reduction_vs_1990", 2035, 0.6, ">=", "Dmnl",
                   "Industry -60 %", "Industrie -60 %"),
            Target("ind-cap-2030", "industry_ghg", 2030, 35.7, "<=", "MtCO2/Year",
                   "Industry at most 35.7 Mt", "Industrie hoogstens 35,7 Mt"),
            Target("circ-2045", "circular_share", 2045, 0.9, ">=", "Dmnl", "90 % circular",
                   "90 % circulair"),
        ),
    )


def panels(fig: Figure) -> list:
    """The data axes of a figure (legends are not axes here)."""
    return list(fig.axes)


def by_gid(ax, gid: str) -> list:
    return [a for a in ax.get_children() if getattr(a, "get_gid", lambda: None)() == gid]


def line(ax, gid: str) -> Line2D:
    found = [a for a in by_gid(ax, gid) if isinstance(a, Line2D)]
    assert len(found) == 1, f"expected one line '{gid}', found {len(found)}"
    return found[0]


def target_points(ax) -> dict[str, tuple[float, float]]:
    out = {}
    for a in ax.get_lines():
        gid = a.get_gid() or ""
        if gid.startswith("target:"):
            out[gid.removeprefix("target:")] = (float(a.get_xdata()[0]), float(a.get_ydata()[0]))
    return out


def all_text(fig: Figure) -> list[str]:
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    return [t for t in texts if t.strip()]


# --- GHG trajectories ------------------------------------------------------------------------------


def test_ghg_figure_has_scenarios_observed_reference_and_legend(runs, design):
    fig = plots.ghg_trajectories(runs, design)
    assert isinstance(fig, Figure)
    national, industry = panels(fig)
    for ax, var, level in ((national, "national_ghg", NATIONAL_GHG_1990_MT),
                           (industry, "industry_ghg", INDUSTRY_GHG_1990_MT)):
        for name, ds in runs.items():
            ln = line(ax, f"scenario:{name}")
            np.testing.assert_allclose(ln.get_ydata(), ds[var].values)
            np.testing.assert_allclose(ln.get_xdata(), np.arange(2015, 2051))
        obs = line(ax, "observed")
        assert obs.get_xdata()[0] == 1990 and obs.get_xdata()[-1] == 2023
        assert obs.get_ydata()[0] == pytest.approx(level)
        assert line(ax, "ref1990").get_ydata()[0] == pytest.approx(level)
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts == ["Baseline", "Mission mix", "Observed", "Target (design)"]
    assert "Mt CO₂-eq/yr" in national.get_ylabel()


def test_reduction_targets_become_absolute_markers_on_the_national_panel(runs, design):
    national, industry = panels(plots.ghg_trajectories(runs, design))
    pts = target_points(national)
    assert set(pts) == {"national-ghg-2030", "national-ghg-2050"}
    assert pts["national-ghg-2030"] == pytest.approx((2030, 227.9 * (1 - 0.49)))
    assert pts["national-ghg-2050"] == pytest.approx((2050, 227.9 * (1 - 0.95)))
    assert target_points(industry) == {}


def test_industry_targets_reduction_and_absolute(runs):
    _, industry = panels(plots.ghg_trajectories(runs, industry_set()))
    pts = target_points(industry)
    assert pts == {"ind-red-2035": pytest.approx((2035, 86.8 * 0.4)),
                   "ind-cap-2030": pytest.approx((2030, 35.7))}


def test_ghg_without_targets_or_history(runs):
    fig = plots.ghg_trajectories(runs, None, history=False)
    for ax in panels(fig):
        assert target_points(ax) == {}
        assert by_gid(ax, "observed") == []
        assert ax.get_xlim()[0] == pytest.approx(2015)
    assert "Target" not in " ".join(t.get_text() for t in fig.legends[0].get_texts())


def test_missing_variable_is_named(runs):
    broken = {"baseline": runs["baseline"].drop_vars("national_ghg")}
    with pytest.raises(InputError, match=r"ghg_trajectories.*national_ghg.*'baseline'"):
        plots.ghg_trajectories(broken)


def test_all_figures_names_every_missing_variable_before_drawing(runs):
    broken = {"mission-mix": runs["mission-mix"].drop_vars(["readiness", "captured_co2"])}
    with pytest.raises(InputError) as err:
        next(plots.all_figures(broken))
    assert "readiness" in str(err.value) and "captured_co2" in str(err.value)


# --- circular share --------------------------------------------------------------------------------


def test_circular_share_lines_targets_and_observed(runs, design):
    fig = plots.circular_share(runs, design)
    (ax,) = panels(fig)
    np.testing.assert_allclose(line(ax, "scenario:mission-mix").get_ydata(),
                               runs["mission-mix"]["circular_share"].values)
    assert target_points(ax) == {"circular-2040": pytest.approx((2040, 0.75)),
                                 "circular-2050": pytest.approx((2050, 1.0))}
    obs = line(ax, "observed")
    assert obs.get_xdata()[0] == 2010
    assert obs.get_ydata()[0] == pytest.approx(0.255)  # 25.5 % in the Eurostat file
    assert ax.yaxis.get_major_formatter()(0.75, 0).startswith("75")


# --- scenario comparison ---------------------------------------------------------------------------


def test_comparison_small_multiples_and_consistent_colours(runs, design):
    fig = plots.scenario_comparison(runs, design)
    axes = panels(fig)
    assert len(axes) == len(plots.COMPARISON_PANELS) == 6
    ghg = plots.ghg_trajectories(runs, design)
    for name in runs:
        colour = line(panels(ghg)[0], f"scenario:{name}").get_color()
        assert colour == plots.SCENARIO_COLORS[name]
        for ax in axes:
            assert line(ax, f"scenario:{name}").get_color() == colour
    cost_ax = axes[[p[0] for p in plots.COMPARISON_PANELS].index("public_cost_total")]
    np.testing.assert_allclose(line(cost_ax, "scenario:mission-mix").get_ydata(),
                               runs["mission-mix"]["public_cost_total"].values)


def test_comparison_derives_total_cost_from_instruments(runs):
    ds = runs["mission-mix"].drop_vars("public_cost_total")
    axes = panels(plots.scenario_comparison({"mission-mix": ds}))
    cost_ax = axes[[p[0] for p in plots.COMPARISON_PANELS].index("public_cost_total")]
    np.testing.assert_allclose(line(cost_ax, "scenario:mission-mix").get_ydata(),
                               runs["mission-mix"]["public_cost"].sum("instrument").values)


def test_scenario_colours_fixed_and_distinct():
    colours = plots.scenario_colors(["my-run", "baseline", "other", "mission-mix"])
    assert colours["baseline"] == plots.SCENARIO_COLORS["baseline"]
    assert colours["mission-mix"] == plots.SCENARIO_COLORS["mission-mix"]
    assert len(set(colours.values())) == 4
    # the colour of a shipped scenario does not depend on which others are drawn
    assert plots.scenario_colors(["mission-mix"])["mission-mix"] == colours["mission-mix"]


def test_a_dataset_with_a_scenario_dim_is_split(runs):
    both = xr.concat([runs["baseline"], runs["mission-mix"]], dim="scenario")
    assert list(plots.as_runs(both)) == ["baseline", "mission-mix"]
    (ax,) = panels(plots.circular_share(both))
    assert len([g for a in ax.get_lines() if (g := a.get_gid() or "").startswith("scenario:")]) == 2


# --- emission wedges -------------------------------------------------------------------------------


def test_wedges_stack_to_industry_ghg_with_captured_on_top(runs):
    ds = runs["mission-mix"]
    fig = plots.emission_wedges({"mission-mix": ds})
    by_cluster, by_route = panels(fig)
    for ax, elements in ((by_cluster, CLUSTERS), (by_route, ROUTES)):
        gids = {c.get_gid() for c in ax.collections if isinstance(c, PolyCollection)}
        assert {f"stack:{e}" for e in elements} | {"non_co2", "captured"} <= gids
        top = [ln for ln in ax.get_lines() if ln.get_color() == "black"][0]
        np.testing.assert_allclose(top.get_ydata(), ds["industry_ghg"].values, rtol=1e-12)
        captured = by_gid(ax, "captured")[0].get_paths()[0].vertices
        assert captured[:, 1].max() == pytest.approx(
            float((ds["industry_ghg"] + ds["captured_co2"]).max()))
    legend = [t.get_text() for t in by_route.get_legend().get_texts()]
    assert legend[0] == "Captured and stored (not emitted)"
    assert "Conventional (fossil)" in legend and "Non-CO₂ greenhouse gases" in legend


def test_wedges_stack_sectors_when_the_results_have_them(runs):
    """Issue #11: results with ``sector_emissions[sector, route]`` are stacked by sector and route."""
    ds = runs["mission-mix"].copy()
    sectors = ["iron_steel", "ammonia", "refining"]
    co2 = ds["route_emissions"].sum("cluster")
    ds["sector_emissions"] = xr.concat([co2 * w for w in (0.5, 0.3, 0.2)], dim="sector").assign_coords(sector=sectors)
    fig = plots.emission_wedges({"mission-mix": ds})
    by_sector, by_route = panels(fig)
    gids = {c.get_gid() for c in by_sector.collections if isinstance(c, PolyCollection)}
    assert {f"stack:{e}" for e in sectors} <= gids
    assert "By sector" in {by_sector.get_title(loc) for loc in ("left", "center", "right")}
    top = [ln for ln in by_sector.get_lines() if ln.get_color() == "black"][0]
    np.testing.assert_allclose(top.get_ydata(), ds["industry_ghg"].values, rtol=1e-12)


def test_wedges_draw_one_scenario_only(runs):
    with pytest.raises(InputError, match="one scenario; got 2"):
        plots.emission_wedges(runs)


# --- innovation system -----------------------------------------------------------------------------


def test_innovation_panels_have_one_line_per_element(runs):
    fig = plots.innovation_system({"mission-mix": runs["mission-mix"]})
    functions, readiness = panels(fig)
    assert {ln.get_gid() for ln in functions.get_lines()} == {f"function:{f}" for f in FUNCTIONS}
    assert {ln.get_gid() for ln in readiness.get_lines()} == {f"route:{r}" for r in ROUTES}
    np.testing.assert_allclose(line(readiness, "route:hydrogen").get_ydata(),
                               runs["mission-mix"]["readiness"].sel(route="hydrogen").values)
    assert readiness.get_ylim() == pytest.approx((0, 1.04))


# --- public cost -----------------------------------------------------------------------------------


def test_npv_matches_the_discount_formula():
    t = np.arange(2015, 2051.0)
    cost = xr.DataArray(np.full(t.size, 100.0), dims="time", coords={"time": t})
    expected = sum(100.0 / 1.03 ** k for k in range(0, 26))
    assert float(plots.npv(cost, 0.03, 2025)) == pytest.approx(expected)
    with pytest.raises(InputError, match="no whole years from 2060"):
        plots.npv(cost, 0.03, 2060)


def test_public_cost_stack_net_line_and_npv_bars(runs):
    ds = runs["mission-mix"]
    fig = plots.public_cost({"mission-mix": ds})
    stack, bars = panels(fig)
    np.testing.assert_allclose(line(stack, "net_total").get_ydata(),
                               ds["public_cost_total"].values)
    levy = [c for c in stack.collections if c.get_gid() == "stack:co2_levy:negative"]
    assert levy, "levy revenue is drawn below zero"
    # the bars are the NPV 2025-end at 2.25 %, written out here rather than by the function that draws
    years = ds["time"].values
    kept = years[(years >= 2025) & (years == np.round(years))]
    factor = xr.DataArray(1.0225 ** -(kept - 2025.0), dims="time", coords={"time": kept})
    npv = (ds["public_cost"].sel(time=kept) * factor).sum("time") / 1000
    for e in INSTRUMENTS:
        (bar,) = by_gid(bars, f"npv:{e}")
        assert bar.get_width() == pytest.approx(float(npv.sel(instrument=e)))
    (total,) = by_gid(bars, "npv:total")
    assert total.get_width() == pytest.approx(float(npv.sum()))
    ticks = [t.get_text() for t in bars.get_yticklabels()]
    assert ticks[0] == "Compensation" and ticks[-1] == "Net total" and "CO₂ levy" in ticks


def test_public_cost_rejects_a_bad_discount_rate(runs):
    with pytest.raises(InputError, match="discount rate"):
        plots.public_cost({"b": runs["baseline"]}, discount_rate=3.0)


# --- ensembles -------------------------------------------------------------------------------------


def test_member_dim_gives_a_fan_chart_with_the_median(design):
    ens = demo_ensemble(n=20)
    fig = plots.ghg_trajectories({"mission-mix": ens}, design)
    national = panels(fig)[0]
    gids = {c.get_gid() for c in national.collections}
    assert {"scenario:mission-mix:band90", "scenario:mission-mix:band50"} <= gids
    np.testing.assert_allclose(line(national, "scenario:mission-mix").get_ydata(),
                               ens["national_ghg"].median("member").values)
    source = fig._supxlabel.get_text()  # noqa: SLF001 - the source line is the supxlabel
    assert "20 members" in source
    # stacked figures average the members
    wedges = plots.emission_wedges({"mission-mix": ens})
    top = [ln for ln in panels(wedges)[0].get_lines() if ln.get_color() == "black"][0]
    np.testing.assert_allclose(top.get_ydata(), ens["industry_ghg"].mean("member").values)


# --- languages -------------------------------------------------------------------------------------


def test_dutch_labels_differ_from_english(runs, design):
    for draw in (lambda lang: plots.ghg_trajectories(runs, design, lang=lang),
                 lambda lang: plots.innovation_system({"m": runs["mission-mix"]}, lang=lang),
                 lambda lang: plots.public_cost({"m": runs["mission-mix"]}, lang=lang)):
        en, nl = set(all_text(draw("en"))), set(all_text(draw("nl")))
        assert en != nl
    nl_fig = plots.ghg_trajectories(runs, design, lang="nl")
    assert panels(nl_fig)[0].get_title(loc="left") == "Nationale broeikasgasemissies"
    assert "Mt CO₂-eq/jaar" in panels(nl_fig)[0].get_ylabel()
    assert any("227,9" in t for t in all_text(nl_fig))  # decimal comma
    circ = plots.circular_share(runs, design, lang="nl")
    assert "Circulair aandeel" in panels(circ)[0].get_title(loc="left")


def test_unknown_language_is_refused(runs):
    with pytest.raises(SdmissionError, match="unknown language 'de'; allowed: en, nl"):
        plots.circular_share(runs, lang="de")


def test_label_table_covers_every_element_in_both_languages():
    for dim, elements in (("cluster", CLUSTERS), ("route", ROUTES),
                          ("instrument", INSTRUMENTS), ("function", FUNCTIONS)):
        for e in elements:
            assert f"{dim}.{e}" in labels.LABELS
    assert all(en and nl for en, nl in labels.LABELS.values())
    assert labels.text("var.circular_share", "nl") == "Circulair aandeel"
    assert labels.text("title.ghg", "nl") == "Broeikasgasemissies"
    assert labels.element("route", "new_route") == "new route"
    assert labels.number(35.7, "nl") == "35,7" and labels.number(-1.5, "en") == "\u22121.5"
    with pytest.raises(KeyError, match="no label for 'var.nope'"):
        labels.text("var.nope")


def test_figures_do_not_touch_pyplot_state(runs):
    import sys

    plots.circular_share(runs)
    assert "matplotlib.pyplot" not in sys.modules or not sys.modules["matplotlib.pyplot"].get_fignums()


def test_a_list_of_datasets_is_named_by_scenario_coord(runs):
    named = plots.as_runs([runs["baseline"], runs["mission-mix"]])
    assert list(named) == ["baseline", "mission-mix"]
    with pytest.raises(InputError, match="scenario 'baseline' is given twice"):
        plots.as_runs([runs["baseline"], runs["baseline"]])
