"""English and Dutch labels for figures: variables, subscript elements, scenarios, axes, sources.

One table (:data:`LABELS`, key → ``(English, Dutch)``) drives both languages, so a label cannot exist
in one language only. Keys are namespaced: ``var.<python name>``, ``<dim>.<element>`` (for the
subscripts in :mod:`sdmission.constants`), ``scenario.<name>``, ``axis.*``, ``title.*``, ``legend.*``,
``source.*``, ``param.<name>`` (the model's uncertain parameters, from
:mod:`sdmission.report.parameter_labels`), and for the explorer's page ``family.*`` (instrument families) and ``explore.*``.
"""

from __future__ import annotations

from typing import Final, Literal

from sdmission.errors import SdmissionError
from sdmission.report.parameter_labels import PARAMETER_LABELS

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
    "var.circular_share": ("Circular share of material input", "Circulair aandeel grondstoffen"),
    "var.public_cost": ("Public cost by instrument", "Publieke kosten per instrument"),
    "var.public_cost_total": ("Net public cost", "Netto publieke kosten"),
    "var.route_emissions": ("Industry CO₂ emissions", "CO₂-emissies industrie"),
    "var.capacity": ("Production capacity", "Productiecapaciteit"),
    "var.readiness": ("Readiness by route", "Gereedheid per route"),
    "var.innovation_function": ("Innovation-system functions", "Functies van het innovatiesysteem"),
    "var.legitimacy": ("Legitimacy of the transition", "Legitimiteit van de transitie"),
    "var.levy_revenue": ("CO₂ levy revenue", "Opbrengst CO₂-heffing"),
    "var.captured_co2": ("Captured CO₂", "Afgevangen CO₂"),
    "var.private_investment": ("Private investment", "Private investeringen"),
    # --- levers and assumptions (the explorer's controls) ---------------------------------------------
    "var.co2_levy_tariff": ("CO₂ levy tariff", "Tarief CO₂-heffing"),
    "var.levy_dispensation_factor": ("Levy dispensation-rights factor", "Reductiefactor dispensatierechten"),
    "var.levy_ets_deduction": ("ETS price deducted from the levy", "In mindering gebrachte ETS-prijs"),
    "var.invest_nl_equity": ("Invest-NL equity", "Invest-NL-participaties"),
    "var.invest_nl_industry_share": ("Invest-NL share for industry", "Aandeel Invest-NL voor de industrie"),
    "var.sde_budget": ("SDE++ budget for industry", "SDE++-budget voor de industrie"),
    "var.sde_max_intensity": ("SDE++ maximum subsidy intensity", "Maximale subsidie-intensiteit SDE++"),
    "var.innovation_procurement": ("Innovation procurement", "Innovatiegericht inkopen"),
    "var.rd_support": ("R&D support (WBSO + Innovatiebox)", "R&D-ondersteuning (WBSO + Innovatiebox)"),
    "var.rd_mission_share": ("Mission share of R&D support", "Missiegericht aandeel R&D-ondersteuning"),
    "var.topsector_exclusivity": ("Topsector exclusivity", "Exclusiviteit topsectoren"),
    "var.emission_standard": ("Emission standard for new capacity", "Emissienorm voor nieuwe capaciteit"),
    "var.conventional_phaseout_year": ("Conventional phase-out year", "Uitfaseerjaar conventionele capaciteit"),
    "var.recycled_content_mandate": ("Recycled-content mandate", "Verplicht aandeel gerecycled materiaal"),
    "var.governance_capacity_target": ("Governance capacity", "Regiecapaciteit"),
    "var.regional_experiments": ("Regional experiments (all clusters)", "Regionale experimenten (alle clusters)"),
    "var.compensation": ("Compensation of affected groups", "Compensatie van getroffen groepen"),
    "var.eu_ets_price": ("EU ETS price", "EU ETS-prijs"),
    "var.gas_price": ("Gas price", "Gasprijs"),
    "var.electricity_price": ("Electricity price", "Elektriciteitsprijs"),
    "var.industrial_demand_growth": ("Industrial demand growth", "Groei industriële vraag"),
    "var.other_sectors_ghg": ("Other sectors' GHG emissions", "Emissies overige sectoren"),
    "var.industry_non_co2_ghg": ("Industry non-CO₂ GHG", "Niet-CO₂-emissies industrie"),
    "var.ccs_storage_capacity": ("CCS storage capacity", "CCS-opslagcapaciteit"),
    "var.committed_storage_projects": ("CO₂ storage under construction (Porthos)", "CO₂-opslag in aanbouw (Porthos)"),
    "var.grid_capacity_industry": ("Grid capacity for industry", "Netcapaciteit voor de industrie"),
    "var.clean_hydrogen_supply": ("Clean hydrogen supply", "Aanbod schone waterstof"),
    "var.sustainable_biomass_supply": ("Sustainable biomass supply", "Aanbod duurzame biomassa"),
    "var.fgas_phasedown": ("F-gas phase-down", "Uitfasering F-gassen"),
    "var.refinery_demand_growth": ("Refinery demand growth", "Groei vraag raffinaderijen"),
    # --- instrument families (the explorer's groups) -------------------------------------------------
    "family.pricing": ("Carbon pricing", "CO₂-beprijzing"),
    "family.finance": ("Finance and subsidies", "Financiering en subsidies"),
    "family.market": ("Market formation", "Marktvorming"),
    "family.knowledge": ("Knowledge and R&D", "Kennis en R&D"),
    "family.regulation": ("Regulation", "Regelgeving"),
    "family.governance": ("Governance and regions", "Regie en regio's"),
    "family.other": ("Other levers", "Overige instrumenten"),
    "family.assumptions": ("Assumptions (not policy)", "Aannames (geen beleid)"),
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
    "cluster.Cluster_6": ("Other industry (outside the five clusters)",
                          "Overige industrie (buiten de vijf clusters)"),
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
    "function.guidance": ("Guidance of the search", "Richting van het zoeken"),
    # --- shipped scenarios ---------------------------------------------------------------------------
    "scenario.baseline": ("Baseline", "Basispad"),
    "scenario.levy-neutralised": ("Levy neutralised", "Heffing geneutraliseerd"),
    "scenario.invest-nl": ("Invest-NL", "Invest-NL"),
    "scenario.procurement": ("Procurement", "Inkoop"),
    "scenario.co2-regulation": ("CO₂ regulation", "CO₂-normering"),
    "scenario.mission-mix": ("Mission mix", "Missiemix"),
    "scenario.topsectors-only": ("Topsectors only", "Alleen topsectoren"),
    "scenario.ets-high": ("High ETS price", "Hoge ETS-prijs"),
    "scenario.ets-low": ("Low ETS price", "Lage ETS-prijs"),
    "scenario.other-sectors-on-target": ("Other sectors on target", "Overige sectoren op koers"),
    # --- axes ----------------------------------------------------------------------------------------
    "axis.year": ("Year", "Jaar"),
    "axis.ghg": ("Mt CO₂-eq/yr", "Mt CO₂-eq/jaar"),
    "axis.co2": ("Mt CO₂/yr", "Mt CO₂/jaar"),
    "axis.reduction": ("Reduction vs 1990", "Reductie t.o.v. 1990"),
    "axis.share": ("Share of material input", "Aandeel in de grondstofinzet"),
    "axis.index": ("Index (0–1)", "Index (0–1)"),
    "axis.readiness": ("Readiness (0–1)", "Gereedheid (0–1)"),
    "axis.meur": ("mn €₂₀₂₄/yr", "mln €₂₀₂₄/jaar"),
    "axis.npv": ("bn €₂₀₂₄", "mld €₂₀₂₄"),
    # --- short panel titles (scenario comparison) ---------------------------------------------------
    "panel.national_ghg": ("National emissions", "Nationale emissies"),
    "panel.industry_ghg": ("Industry emissions", "Emissies industrie"),
    "panel.circular_share": ("Circular share", "Circulair aandeel"),
    "panel.public_cost_total": ("Net public cost", "Netto publieke kosten"),
    "panel.private_investment": ("Private investment", "Private investeringen"),
    "panel.legitimacy": ("Legitimacy", "Legitimiteit"),
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
    "legend.observed_cmu": ("Eurostat circular material use (other definition)",
                            "Eurostat circulair materiaalgebruik (andere definitie)"),
    "legend.level_1990": ("1990 level", "Niveau 1990"),
    "legend.target": ("Target", "Doel"),
    "legend.captured": ("Captured and stored (not emitted)", "Afgevangen en opgeslagen (niet uitgestoten)"),
    "legend.non_co2": ("Non-CO₂ greenhouse gases", "Overige broeikasgassen (niet-CO₂)"),
    "legend.net_total": ("Net total", "Netto totaal"),
    "legend.total": ("Total emitted", "Totale uitstoot"),
    "legend.net_zero": ("net zero", "netto nul"),
    "legend.ensemble": ("median, 25–75 % and 5–95 % of {n} members",
                        "mediaan, 25–75 % en 5–95 % van {n} leden"),
    "legend.ensemble_mean": ("ensemble mean of {n} members", "gemiddelde van {n} leden"),
    # --- uncertainty, sensitivity, discovery and optimiser figures ---------------------------------
    "legend.fan": ("median; bands: 25–75 % and 5–95 % of {n} futures",
                   "mediaan; banden: 25–75 % en 5–95 % van {n} toekomsten"),
    "legend.sobol_st": ("Total effect (ST)", "Totaal effect (ST)"),
    "legend.sobol_s1": ("First-order effect (S1)", "Eerste-orde-effect (S1)"),
    "axis.sobol": ("Sobol' index (bars: 95 % interval)", "Sobol-index (streepjes: 95 %-interval)"),
    "axis.coverage": ("Coverage (share of the failing futures that lie in the box)",
                      "Dekking (aandeel van de mislukte toekomsten dat in de box ligt)"),
    "axis.density": ("Density (share of the futures in the box that fail)",
                     "Dichtheid (aandeel van de toekomsten in de box dat mislukt)"),
    "axis.box_limits": ("Box limits, as a share of each uncertainty's sampled range",
                        "Grenzen van de box, als aandeel van het bereik van elke onzekerheid"),
    "axis.restricted": ("Restricted uncertainties", "Begrensde onzekerheden"),
    "legend.chosen_box": ("Chosen box", "Gekozen box"),
    "legend.base_rate": ("Share in the whole ensemble", "Aandeel in het hele ensemble"),
    "text.no_restriction": ("no restriction: the whole space", "geen beperking: de hele ruimte"),
    "title.box": ("Box: coverage {coverage}, density {density}, mass {mass}",
                  "Box: dekking {coverage}, dichtheid {density}, massa {mass}"),
    "axis.generation": ("Generation of the search", "Generatie van de zoektocht"),
    "axis.objective": ("Objective (mn €₂₀₂₄)", "Doelfunctie (mln €₂₀₂₄)"),
    "axis.violation": ("Worst target shortfall (normalised; 0 = met)",
                       "Grootste tekort op een doel (genormaliseerd; 0 = gehaald)"),
    "legend.best_feasible": ("Lowest cost so far with every target met",
                             "Laagste kosten tot nu toe met alle doelen gehaald"),
    "legend.best_infeasible": ("Best of the generation, targets not yet met",
                               "Beste van de generatie, doelen nog niet gehaald"),
    "legend.violation": ("Worst shortfall", "Grootste tekort"),
    "legend.pareto": ("Trade-off front", "Afwegingsfront"),
    "pareto.cheapest": ("cheapest", "goedkoopst"),
    "pareto.lowest": ("lowest", "laagst"),
    "pareto.knee": ("knee", "knik"),
    "axis.pareto_x": ("{aggregate} of {metric}, {start}–{end}", "{aggregate} van {metric}, {start}–{end}"),
    "aggregate.mean": ("Mean", "Gemiddelde"),
    "aggregate.sum": ("Sum", "Som"),
    "aggregate.max": ("Maximum", "Maximum"),
    "aggregate.min": ("Minimum", "Minimum"),
    "aggregate.final": ("Final value", "Eindwaarde"),
    "aggregate.cumulative": ("Cumulative", "Cumulatief"),
    "title.fans": ("{names}: {n} sampled futures", "{names}: {n} getrokken toekomsten"),
    "title.sobol": ("Sobol' indices, {name} (base sample {n}, {runs} runs)",
                    "Sobol-indices, {name} (basissteekproef {n}, {runs} runs)"),
    "title.prim": ("{name}: futures in which the target {goal} is not met",
                   "{name}: toekomsten waarin het doel {goal} niet wordt gehaald"),
    "title.convergence": ("Least-cost search for {name}", "Zoektocht naar de laagste kosten voor {name}"),
    "title.pareto": ("Cost against emissions, {name}", "Kosten tegen emissies, {name}"),
    "title.contributions": ("Contribution of each instrument, {name}",
                            "Bijdrage van elk instrument, {name}"),
    "legend.other_instruments": ("{n} other instruments", "{n} overige instrumenten"),
    "legend.interaction": ("Interaction (not one instrument's)", "Interactie (van geen enkel instrument)"),
    "legend.reference": ("reference", "referentie"),
    "axis.cumulative_reduction": ("Cumulative reduction {start}–{end} (Mt CO₂-eq)",
                                  "Cumulatieve reductie {start}–{end} (Mt CO₂-eq)"),
    "source.shapley": ("Shapley decomposition over {n} runs (interactions shared out)",
                       "Shapley-decompositie over {n} runs (interacties verdeeld)"),
    "source.loo": ("leave-one-out over {n} runs", "één instrument tegelijk weggelaten, over {n} runs"),
    "source.wedges": ("wedges below the reference line lower emissions, above it raise them",
                      "wiggen onder de referentielijn verlagen de emissies, erboven verhogen ze"),
    "source.optimiser": ("least-cost search (differential evolution) on the sdmission model, "
                         "scenario {name}",
                         "zoektocht naar de laagste kosten (differentiële evolutie) met het "
                         "sdmission-model, scenario {name}"),
    "source.all_met": ("every target met", "alle doelen gehaald"),
    "source.dropped": ("left out as out of reach: {ids}", "weggelaten als onhaalbaar: {ids}"),
    "source.sobol": ("variance-based sensitivity (Sobol', Saltelli sampling) on the sdmission model",
                     "variantiegebaseerde gevoeligheid (Sobol, Saltelli-steekproef) met het "
                     "sdmission-model"),
    "source.prim": ("scenario discovery (PRIM) over {n} futures of the sdmission model",
                    "scenario-ontdekking (PRIM) over {n} toekomsten van het sdmission-model"),
    "source.prim_target": ("failing: {goal} not met in {name}",
                           "mislukt: {goal} niet gehaald in {name}"),
    "source.sobol_scenario": ("scenario {name}", "scenario {name}"),
    # --- units for readers (from the model's Vensim units) --------------------------------------------
    "unit.MtCO2/Year": ("Mt CO₂-eq/yr", "Mt CO₂-eq/jaar"),
    "unit.MEUR/Year": ("mn €₂₀₂₄/yr", "mln €₂₀₂₄/jaar"),
    "unit.MEUR": ("mn €₂₀₂₄", "mln €₂₀₂₄"),
    "unit.EUR/tCO2": ("€₂₀₂₄/t CO₂", "€₂₀₂₄/t CO₂"),
    "unit.Mt/Year": ("Mt/yr", "Mt/jaar"),
    "unit.Dmnl": ("Fraction (0–1)", "Fractie (0–1)"),
    "unit.Year": ("Year", "Jaar"),
    # --- the explorer's page (python -m sdmission explore) --------------------------------------------
    "explore.title": ("sdmission explorer", "sdmission-verkenner"),
    "explore.start_scenario": ("Starting scenario", "Startscenario"),
    "explore.open": ("Open", "Openen"),
    "explore.open_placeholder": ("or a scenario file…", "of een scenariobestand…"),
    "explore.target_set": ("Target set", "Doelenset"),
    "explore.language": ("Language", "Taal"),
    "explore.level": ("How much", "Hoeveel"),
    "explore.start": ("From", "Vanaf"),
    "explore.ramp": ("Ramp (years)", "Ingroei (jaren)"),
    "explore.marker": ("starting scenario: {value}", "startscenario: {value}"),
    "explore.reset": ("Reset", "Herstel"),
    "explore.reset_all": ("Reset all", "Alles herstellen"),
    "explore.changed": ("{n} changed", "{n} gewijzigd"),
    "explore.ghost": ("Starting scenario", "Startscenario"),
    "explore.current": ("Explored", "Verkend"),
    "explore.redraw": ("redraw {ms} ms", "hertekend in {ms} ms"),
    "explore.save": ("Save as scenario", "Opslaan als scenario"),
    "explore.name": ("Name", "Naam"),
    "explore.description": ("Description", "Beschrijving"),
    "explore.saved": ("Saved {path}", "Opgeslagen: {path}"),
    "explore.targets": ("Targets", "Doelen"),
    "explore.col_target": ("Target", "Doel"),
    "explore.col_value": ("Value", "Waarde"),
    "explore.col_start": ("Start", "Start"),
    "explore.col_met": ("Met", "Gehaald"),
    "explore.col_first": ("First year met", "Eerste jaar gehaald"),
    "explore.col_gap": ("Gap", "Tekort"),
    "explore.met": ("met", "gehaald"),
    "explore.not_met": ("not met", "niet gehaald"),
    "explore.never": ("never", "nooit"),
    "explore.total": ("total of {n} clusters", "totaal van {n} clusters"),
    "explore.band_toggle": ("Uncertainty band", "Onzekerheidsband"),
    "explore.band": ("5–95 % of {n} sampled futures", "5–95 % van {n} getrokken toekomsten"),
    # --- source lines --------------------------------------------------------------------------------
    "source.prefix": ("Source", "Bron"),
    "source.model": ("model calculation (sdmission) for {names}",
                     "modelberekening (sdmission) voor {names}"),
    "source.and": ("and", "en"),
    "source.constant_readiness": ("readiness not drawn for {names}: constant over the whole run",
                                  "gereedheid niet getekend voor {names}: de hele periode "
                                  "constant"),
    "source.one_scenario": ("the scenario {names}", "het scenario {names}"),
    "source.scenarios": ("the scenarios {names}", "de scenario's {names}"),
    "source.prices": ("amounts in euros at 2024 prices", "bedragen in euro's in prijzen van 2024"),
    "source.legitimacy": ("legitimacy is a model index of societal support, from 0 (none) to 1 (full)",
                          "legitimiteit is een modelindex voor maatschappelijk draagvlak, van 0 "
                          "(geen) tot 1 (volledig)"),
    "source.investment_steps": ("jumps in private investment in 2030 and 2040 follow the scenarios' "
                                "policy dates (instrument ramps that end in 2030; no new unabated "
                                "fossil capacity from 2040)",
                                "sprongen in de private investeringen in 2030 en 2040 volgen de "
                                "beleidsdata van de scenario's (instrumenten die tot 2030 oplopen; "
                                "vanaf 2040 geen nieuwe fossiele capaciteit zonder afvang)"),
    "source.ghg": ("observed: CBS/RIVM Emissieregistratie (Klimaatwet scope)",
                   "waarneming: CBS/RIVM Emissieregistratie (reikwijdte Klimaatwet)"),
    "source.cmu": ("observed: Eurostat, circular material use rate of the whole economy "
                   "(cei_srm030), a wider definition than the model's circular share of industrial "
                   "material input, so the two are not expected to coincide",
                   "waarneming: Eurostat, circulair materiaalgebruik van de hele economie "
                   "(cei_srm030), ruimer gedefinieerd dan het circulaire aandeel in de "
                   "grondstofinzet van de industrie in het model; de twee hoeven niet samen te vallen"),
    "source.targets": ("targets: {name}", "doelen: {name}"),
    # --- target sets in plain words ------------------------------------------------------------------
    "targets.design": ("Klimaatwet 2019 and the circular-economy goals",
                       "Klimaatwet 2019 en de doelen voor de circulaire economie"),
    "targets.klimaatwet-2023": ("Klimaatwet as amended in 2023", "Klimaatwet zoals gewijzigd in 2023"),
    "targets.klimaatakkoord-industry": ("Klimaatakkoord goal for industry (35.7 Mt in 2030)",
                                        "Klimaatakkoord-doel voor de industrie (35,7 Mt in 2030)"),
    "targets.groene-industriepolitiek": ("mission of Groene Industriepolitiek",
                                         "missie uit Groene Industriepolitiek"),
    "targets.circular-programme": ("Rijksbrede programma Circulaire Economie (primary abiotic use -50 % by 2030)",
                                   "Rijksbreed programma Circulaire Economie (primair abiotisch -50 % in 2030)"),
    "targets.industry_reference": ("Klimaatakkoord goal for industry", "Klimaatakkoord-doel industrie"),
}

# uncertain parameters of the model (Sobol', PRIM and ensemble figures), as ``param.<name>``
LABELS.update({f"param.{name}": pair for name, pair in PARAMETER_LABELS.items()})


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


def join(names: list[str], lang: str = "en") -> str:
    """``a``, ``a and b``, ``a, b and c`` (``en`` in Dutch)."""
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} {text('source.and', lang)} {names[-1]}"


def target_set_name(name: str, lang: str = "en") -> str:
    """A target set in plain words (a set the table does not know: its name)."""
    names = [n.strip() for n in name.split("+")]
    return "; ".join(text(f"targets.{n}", lang) if f"targets.{n}" in LABELS else n for n in names)


def unit(units: str, lang: str = "en") -> str:
    """A Vensim unit (``MtCO2/Year``, ``Dmnl``) as a reader reads it; unknown units as given."""
    key = f"unit.{units.strip()}"
    return text(key, lang) if key in LABELS else units.strip()


def variable(name: str, lang: str = "en", long_name: str | None = None) -> str:
    """A result variable or an uncertainty by python name, ``name[element]`` included.

    ``relative_intensity[conventional]`` → ``Relative intensity: Conventional (fossil)``. Names the
    table does not know use ``long_name`` (the model's) if given, else the name with spaces, first
    letter capitalised.
    """
    base, _, rest = name.partition("[")
    key = next((k for k in (f"var.{base}", f"param.{base}") if k in LABELS), None)
    if key is not None:
        head = text(key, lang)
    elif long_name:
        head = long_name
    else:
        head = base.replace("_", " ")
    head = head[:1].upper() + head[1:]
    if not rest:
        return head
    elements = [e.strip() for e in rest.rstrip("]").split(",")]
    shown = [next((text(k, lang) for k in (f"{d}.{e}" for d in
                   ("route", "cluster", "instrument", "function", "sector")) if k in LABELS),
                  e.replace("_", " ")) for e in elements]
    return f"{head}: {', '.join(shown)}"


def number(value: float, lang: str = "en", digits: int = 1) -> str:
    """``value`` with ``digits`` decimals and the language's decimal mark (``35.7`` / ``35,7``)."""
    out = f"{value:.{digits}f}".replace("-", "\u2212")
    return out.replace(".", ",") if check_lang(lang) == "nl" else out
