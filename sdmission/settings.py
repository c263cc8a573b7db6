"""Project-specific defaults in one place: where ``scenarios/``, ``models/`` and ``results/`` are.

The generic library (schema, scenario, model, study, analysis) knows nothing about the project's
layout; the commands ask this module.

Discovery (like ``git`` finds its repository): the **project folder** is the working directory or
the nearest of its parents that has a ``scenarios/`` folder. Its ``scenarios/``, ``models/`` and
``results/`` are the defaults. With no such folder the working directory is used (so
``./scenarios`` is simply missing and commands say so). ``--scenarios-dir DIR`` overrides the
scenarios folder only. The package's own location is never used.

Paths inside the working directory are kept relative to it, so running from the project folder
prints ``results/…`` as before.

**Output layout** (:data:`OUTPUTS`): every command writes into its own sub-folder of ``results/``
(``--out`` chooses another folder), so no command reads another's files by accident:

==================  ===========================================================================
``runs/``           ``run``: ``<scenario>.nc``, ``_headline.csv``, ``_targets.csv`` (``plot`` reads these)
``figures/``        ``plot`` and ``run --plots``: English figures; Dutch ones in ``figures/nl/``
                    (:data:`FIGURE_LANGUAGES`; their files also end in ``_nl``)
``compare/``        ``compare``: ``<A>_vs_<B>…/comparison.xlsx`` and CSVs
``contributions/``  ``contributions``: ``<scenario>/``
``ensembles/``      ``ensemble``: ``<name>.nc``, ``_pmet.csv``, ``_ranking.csv``, ``_fans.png``, chunks
``sensitivity/``    ``sensitivity``: ``<scenario>_sobol.{nc,csv,png}``, chunks
``discovery/``      ``discover``: ``<ensemble>_discovery.txt``, PRIM figures
``optimise/``       ``optimise``: ``<scenario>/``
``simulate/``       ``simulate``: ``<model>.nc``
==================  ===========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

#: Folder names inside the project folder.
SCENARIOS: Final = "scenarios"
MODELS: Final = "models"
RESULTS: Final = "results"
#: Sub-folder of ``results/`` for each kind of output (see the module docstring).
OUTPUTS: Final[dict[str, str]] = {
    "run": "runs",
    "figures": "figures",
    "compare": "compare",
    "contributions": "contributions",
    "ensemble": "ensembles",
    "sensitivity": "sensitivity",
    "discover": "discovery",
    "optimise": "optimise",
    "simulate": "simulate",
}
#: Sub-folder of the figures folder for each figure language ("": the figures folder itself), so
#: a report author takes every file of ``results/figures/nl/`` as it is. Applied to the default
#: folder and to ``run --plots --out X`` (``X/figures/nl``), never to ``plot --out``.
FIGURE_LANGUAGES: Final[dict[str, str]] = {"en": "", "nl": "nl"}
#: The project's model (in ``models/``) and its generated parameter table beside it.
PROJECT_MODEL: Final = "sdmission.mdl"
PARAMETER_TABLE: Final = "parameters.csv"


@dataclass(frozen=True)
class Settings:
    """The folders a command reads and writes by default.

    Attributes
    ----------
    root
        The project folder found (``None``: none found; the working directory stands in).
    scenarios_dir
        Named scenarios (``python -m sdmission run NAME``).
    models_dir
        The project's models.
    results_dir
        Default output folder.
    """

    root: Path | None
    scenarios_dir: Path
    models_dir: Path
    results_dir: Path

    @property
    def default_model(self) -> Path:
        """The project model, ``<models_dir>/sdmission.mdl``."""
        return self.models_dir / PROJECT_MODEL

    def output_dir(self, kind: str) -> Path:
        """The default output folder of a command: ``<results_dir>/<OUTPUTS[kind]>``."""
        return self.results_dir / OUTPUTS[kind]

    def figures_dir(self, lang: str = "en") -> Path:
        """The default folder of report figures in ``lang``: ``<results_dir>/figures`` for
        English, ``<results_dir>/figures/nl`` for Dutch (:func:`language_folder`)."""
        return language_folder(self.output_dir("figures"), lang)


def language_folder(figures: Path, lang: str) -> Path:
    """The folder for figures in ``lang`` inside the figures folder ``figures``.

    ``figures`` itself for English, ``figures / "nl"`` for Dutch (:data:`FIGURE_LANGUAGES`).
    """
    sub = _figure_language(lang)
    return figures / sub if sub else figures


def language_suffix(lang: str) -> str:
    """The end of a figure file's stem in ``lang``: ``""`` for English, ``"_nl"`` for Dutch, so
    both languages can share a folder."""
    _figure_language(lang)
    return "" if lang == "en" else f"_{lang}"


def _figure_language(lang: str) -> str:
    """The sub-folder of ``lang`` (:data:`FIGURE_LANGUAGES`); ValueError for another language."""
    try:
        return FIGURE_LANGUAGES[lang]
    except KeyError:
        raise ValueError(f"unknown figure language '{lang}'; allowed: "
                         f"{', '.join(FIGURE_LANGUAGES)}") from None


def find_project_root(start: Path | str | None = None) -> Path | None:
    """``start`` (default: the working directory) or its nearest parent with a ``scenarios/`` folder."""
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / SCENARIOS).is_dir():
            return folder
    return None


def _near(path: Path) -> Path:
    """``path`` relative to the working directory when it lies inside it, else absolute."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def discover(start: Path | str | None = None, *, scenarios_dir: Path | str | None = None) -> Settings:
    """The settings seen from ``start`` (default: the working directory).

    Parameters
    ----------
    start
        Where the search for the project folder begins.
    scenarios_dir
        An explicit scenarios folder (``--scenarios-dir``); wins over the discovered one.
    """
    root = find_project_root(start)
    base = root if root is not None else (Path(start) if start is not None else Path.cwd()).resolve()
    return Settings(
        root=root,
        scenarios_dir=Path(scenarios_dir) if scenarios_dir is not None else _near(base / SCENARIOS),
        models_dir=_near(base / MODELS),
        results_dir=_near(base / RESULTS),
    )


def parameter_table_file(mdl_path: Path | str) -> Path | None:
    """The generated parameter table of the project model, else ``None``.

    The project ships ``models/parameters.csv`` for ``models/sdmission.mdl`` (regenerated from the
    model's comment tags); any other model builds its table from its own tags.
    """
    mdl = Path(mdl_path)
    table = mdl.with_name(PARAMETER_TABLE)
    return table if mdl.name == PROJECT_MODEL and table.is_file() else None
