"""English and Dutch labels for figures: variables, subscript elements, scenarios, axes, sources.

One table (:data:`LABELS`, key → ``(English, Dutch)``) drives both languages, so a label cannot exist
in one language only. Keys are namespaced: ``var.<python name>``, ``<dim>.<element>`` (for the
subscripts in :mod:`sdmission.constants`), ``scenario.<name>``, ``axis.*``, ``title.*``, ``legend.*``
and ``source.*``.
"""

from __future__ import annotations

from typing import Final, Literal

from sdmission.errors import SdmissionError

Lang = Literal["en", "nl"]
LANGS: Final[tuple[Lang, ...]] = ("en", "nl")

# key: (English, Dutch). Units use the typographic forms a report uses (CO₂, M€/yr).
LABELS: Final[dict[str, tuple[str, str]]] = {
    # --- result variables ---------------------------------------------------------------------------
    "var.national_ghg": ("National GHG emissions", "Nationale broeikasgasemissies"),
    "var.industry_ghg": ("Industry GHG emissions", "Broeikasgasemissies industrie"),
    "var.ghg_reduction_vs_1990": ("National GHG reduction vs 1990",
                                  "Reductie nationale emissies t.o.v. 1990"),
    "var.industry_ghg_reduction_vs_1990": ("Industry GHG reduction vs 1990",
                                           "Reductie industrie-emissies t.o.v. 1990"),
    "var.circular_share": ("Circular share", "Circulair aandeel"),
    "var.public_cost": ("Public cost by instrument", "Publieke kosten per instrument"),
    "var.public_cost_total": ("Net public cost", "Netto publieke kosten"),
    "var.route_emissions": ("Industry CO₂ emissions", "CO₂-emissies industrie"),
    "var.capacity": ("Production capacity", "Productiecapaciteit"),
    "var.readiness": ("Readiness by route", "Gereedheid per route"),
    "var.innovation_function": ("Innovation-system functions", "Functies van het innovatiesysteem"),
    "var.legitimacy": ("Legitimacy", "Legitimiteit"),
    "var.levy_revenue": ("CO₂ levy revenue", "Opbrengst CO₂-heffing"),
    "var.captured_co2": ("Captured CO₂", "Afgevangen CO₂"),
    "var.private_investment": ("Private investment", "Private investeringen"),
    # --- clusters (Klimaatakkoord industrial clusters) -----------------------------------------------
    "sector.iron_steel": ("Iron and steel", "IJzer en staal"),
    "sector.ammonia": ("Ammonia and fertiliser", "Ammoniak en kunstmest"),
    "sector.refining": ("Refining", "Raffinaderijen"),
    "sector.hvc": ("Steam crackers (HVC)", "Kraakinstallaties (HVC)"),
    "sector.other_chemicals": ("Other chemicals", "Overige chemie"),
    "sector.minerals": ("Non-metallic minerals", "Niet-metaalhoudende mineralen"),
    "sector.other_industry": ("Food, paper and other industry", "Voedings-, papier- en overige industrie"),
    "cluster.Rotterdam_Moerdijk": ("Rotterdam-Moerdijk", "Rotterdam-Moerdijk"),
    "cluster.Noordzeekanaalgebied": ("North Sea Canal area", "Noordzeekanaalgebied"),
    "cluster.Zeeland_West_Brabant": ("Zeeland-West-Brabant", "Zeeland-West-Brabant"),
    "cluster.Chemelot": ("Chemelot", "Chemelot"),
    "cluster.Noord_Nederland": ("Northern Netherlands", "Noord-Nederland"),
    "cluster.Cluster_6": ("Dispersed industry (cluster 6)", "Verspreide industrie (cluster 6)"),
    # --- routes --------------------------------------------------------------------------------------
    "route.conventional": ("Conventional (fossil)", "Conventioneel (fossiel)"),
    "route.efficiency": ("Efficiency", "Efficiëntie"),
    "route.electrification": ("Electrification", "Elektrificatie"),
    "route.hydrogen": ("Hydrogen", "Waterstof"),
    "route.ccs": ("CCS", "CCS"),
    "route.circular": ("Circular / bio feedstock", "Circulaire / biogrondstoffen"),
    # --- instruments ---------------------------------------------------------------------------------
    "instrument.co2_levy": ("CO₂ levy", "CO₂-heffing"),
    "instrument.invest_nl": ("Invest-NL", "Invest-NL"),
    "instrument.procurement": ("Innovation procurement", "Innovatiegericht inkopen"),
    "instrument.rd_support": ("R&D support", "R&D-ondersteuning"),
    "instrument.sde": ("SDE++", "SDE++"),
    "instrument.regional_experiments": ("Regional experiments", "Regionale experimenten"),
    "instrument.governance": ("Governance capacity", "Regiecapaciteit"),
    "instrument.compensation": ("Compensation", "Compensatie"),
    # --- innovation-system functions -----------------------------------------------------------------
    "function.knowledge": ("Knowledge", "Kennis"),
    "function.experimentation": ("Experimentation", "Experimenteren"),
    "function.market_formation": ("Market formation", "Marktvorming"),
    "function.resources": ("Resources", "Middelen"),
    "function.legitimacy": ("Legitimacy", "Legitimiteit"),
    "function.governance": ("Governance", "Regie"),
    # --- shipped scenarios ---------------------------------------------------------------------------
    "scenario.baseline": ("Baseline", "Basispad"),
    "scenario.levy-neutralised": ("Levy neutralised", "Heffing geneutraliseerd"),
    "scenario.invest-nl": ("Invest-NL", "Invest-NL"),
    "scenario.procurement": ("Procurement", "Inkoop"),
    "scenario.co2-regulation": ("CO₂ regulation", "CO₂-normering"),
    "scenario.mission-mix": ("Mission mix", "Missiemix"),
    "scenario.topsectors-only": ("Topsectors only", "Alleen topsectoren"),
    # --- axes ----------------------------------------------------------------------------------------
    "axis.year": ("Year", "Jaar"),
    "axis.ghg": ("Mt CO₂-eq/yr", "Mt CO₂-eq/jaar"),
    "axis.co2": ("Mt CO₂/yr", "Mt CO₂/jaar"),
    "axis.share": ("Share of material input (%)", "Aandeel grondstofinzet (%)"),
    "axis.index": ("Strength (0–1)", "Sterkte (0–1)"),
    "axis.readiness": ("Readiness (0–1)", "Gereedheid (0–1)"),
    "axis.meur": ("M€/yr", "M€/jaar"),
    "axis.npv": ("bn €", "mld €"),
    # --- titles --------------------------------------------------------------------------------------
    "title.ghg": ("Greenhouse-gas emissions", "Broeikasgasemissies"),
    "title.circular": ("Circular share of industrial material input",
                       "Circulair aandeel in de grondstofinzet van de industrie"),
    "title.comparison": ("Scenario comparison", "Vergelijking van scenario's"),
    "title.wedges": ("Industry emissions", "Emissies industrie"),
    "title.by_cluster": ("By cluster", "Per cluster"),
    "title.by_sector": ("By sector", "Per sector"),
    "title.by_route": ("By route", "Per route"),
    "title.innovation": ("Innovation system", "Innovatiesysteem"),
    "title.cost": ("Public cost by instrument", "Publieke kosten per instrument"),
    "title.per_year": ("Per year", "Per jaar"),
    "title.npv": ("NPV {start}–{end} ({rate} %)", "NCW {start}–{end} ({rate} %)"),
    # --- legend entries ------------------------------------------------------------------------------
    "legend.observed": ("Observed", "Waargenomen"),
    "legend.observed_cmu": ("Observed (Eurostat CMU rate)", "Waargenomen (Eurostat CMU-rate)"),
    "legend.level_1990": ("1990 level", "Niveau 1990"),
    "legend.target": ("Target ({name})", "Doel ({name})"),
    "legend.captured": ("Captured and stored (not emitted)", "Afgevangen en opgeslagen (niet uitgestoten)"),
    "legend.non_co2": ("Non-CO₂ greenhouse gases", "Overige broeikasgassen (niet-CO₂)"),
    "legend.net_total": ("Net total", "Netto totaal"),
    "legend.net_zero": ("net zero", "netto nul"),
    "legend.ensemble": ("median, 25–75 % and 5–95 % of {n} members",
                        "mediaan, 25–75 % en 5–95 % van {n} leden"),
    "legend.ensemble_mean": ("ensemble mean of {n} members", "gemiddelde van {n} leden"),
    # --- source lines --------------------------------------------------------------------------------
    "source.prefix": ("Source", "Bron"),
    "source.model": ("sdmission model, scenario(s): {names}", "sdmission-model, scenario('s): {names}"),
    "source.ghg": ("observed: CBS/RIVM Emissieregistratie (Klimaatwet scope)",
                   "waarneming: CBS/RIVM Emissieregistratie (reikwijdte Klimaatwet)"),
    "source.cmu": ("observed: Eurostat circular material use rate (cei_srm030); the model's circular "
                   "share is its own definition",
                   "waarneming: Eurostat circular material use rate (cei_srm030); het circulair "
                   "aandeel van het model volgt een eigen definitie"),
    "source.targets": ("targets: set '{name}'", "doelen: set '{name}'"),
}


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language, else raise a clear error."""
    if lang not in LANGS:
        raise SdmissionError(f"unknown language '{lang}'; allowed: {', '.join(LANGS)}")
    return lang


def text(key: str, lang: str = "en", **fields: object) -> str:
    """The label for ``key`` in ``lang``, with ``{field}`` placeholders filled from ``fields``."""
    pair = LABELS.get(key)
    if pair is None:
        raise KeyError(f"no label for '{key}'")
    out = pair[LANGS.index(check_lang(lang))]
    return out.format(**fields) if fields else out


def element(dim: str, name: str, lang: str = "en") -> str:
    """Label of a subscript element (``element("route", "ccs")``) or a scenario name.

    Elements the table does not know (a model that grew a new one) fall back to the name with
    underscores as spaces, so a figure never fails on a label.
    """
    pair = LABELS.get(f"{dim}.{name}")
    if pair is None:
        check_lang(lang)
        return name.replace("_", " ")
    return pair[LANGS.index(check_lang(lang))]


def scenario(name: str, lang: str = "en") -> str:
    """Display name of a scenario (shipped ones translated; others as given)."""
    pair = LABELS.get(f"scenario.{name}")
    if pair is None:
        check_lang(lang)
        return name
    return pair[LANGS.index(check_lang(lang))]


def number(value: float, lang: str = "en", digits: int = 1) -> str:
    """``value`` with ``digits`` decimals and the language's decimal mark (``35.7`` / ``35,7``)."""
    out = f"{value:.{digits}f}".replace("-", "\u2212")
    return out.replace(".", ",") if check_lang(lang) == "nl" else out
