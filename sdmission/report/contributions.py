"""The wedge figure of a decomposition: what each instrument takes off the reference's emissions.

Takes a :class:`sdmission.analysis.contributions.Decomposition` and returns a Figure (saving is the
caller's job, with :func:`sdmission.report.save.save_figure`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sdmission.analysis.contributions import INSTRUMENT_DIM, Decomposition
from sdmission.constants import TIME
from sdmission.report import labels

_TEXT = {
    "title": ("Contribution of each instrument to industry GHG emissions",
              "Bijdrage van elk instrument aan de broeikasgasemissies van de industrie"),
    "reference": ("reference", "referentie"),
    "interaction": ("interaction", "interactie"),
    "axis": ("Mt CO₂-eq per year", "Mt CO₂-eq per jaar"),
    "method": ("Shapley decomposition", "Shapley-decompositie"),
    "loo": ("leave-one-out", "leave-one-out"),
}


def _t(key: str, lang: str) -> str:
    return _TEXT[key][0 if labels.check_lang(lang) == "en" else 1]


def _label(name: str, lang: str) -> str:
    key = f"instrument.{name}"
    return labels.text(key, lang) if key in labels.LABELS else name.replace("_", " ")


def wedge_figure(dec: Decomposition, *, scenario: str, reference: str, lang: str = "en",
                 start: float | None = None, variable: str = "industry_ghg") -> Figure:
    """Stacked wedges from the reference's path down to the scenario's, one per instrument.

    Wedge ``j`` lies between ``reference + sum_{i<j} c_i`` and ``reference + sum_{i<=j} c_i``
    (``c`` the contributions), so the last edge is the scenario (Shapley) or the scenario minus
    the interaction (leave-one-out, whose interaction is drawn as a hatched last wedge).
    """
    ds = dec.ds
    t = np.asarray(ds[TIME].values, dtype=float)
    ref = np.asarray(ds[f"{variable}_reference"].values, dtype=float)
    contrib = ds[f"{variable}_contribution"].transpose(INSTRUMENT_DIM, TIME)
    fig = Figure(figsize=(8.0, 4.8), layout="constrained")
    ax = fig.subplots()
    keep = t >= (start if start is not None else t[0])
    lower = ref.copy()
    for i, name in enumerate(contrib[INSTRUMENT_DIM].values):
        upper = lower + np.asarray(contrib.values[i], dtype=float)
        ax.fill_between(t[keep], lower[keep], upper[keep], color=f"C{i % 10}", alpha=0.8,
                        linewidth=0, label=_label(str(name), lang))
        lower = upper
    if dec.method == "loo":
        upper = lower + np.asarray(ds[f"{variable}_interaction"].values, dtype=float)
        ax.fill_between(t[keep], lower[keep], upper[keep], facecolor="none", hatch="///",
                        edgecolor="0.4", linewidth=0, label=_t("interaction", lang))
    ax.plot(t, ref, color="black", linewidth=1.6,
            label=f"{labels.scenario(reference, lang)} ({_t('reference', lang)})")
    ax.plot(t, np.asarray(ds[f"{variable}_scenario"].values, dtype=float), color="black",
            linewidth=1.6, linestyle="--", label=labels.scenario(scenario, lang))
    ax.set_ylabel(_t("axis", lang))
    ax.set_xlim(t[0], t[-1])
    method = _t("method", lang) if dec.method == "shapley" else _t("loo", lang)
    ax.set_title(f"{_t('title', lang)}\n{labels.scenario(scenario, lang)} — {method}", fontsize=10)
    ax.legend(fontsize=7, loc="lower left", ncols=2, frameon=False)
    ax.grid(alpha=0.3)
    return fig
