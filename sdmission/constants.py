"""Dimension names, their order, and the element names the project's model uses.

Declared once here; results, plots, tests and engines import them instead of spelling strings.
"""

from __future__ import annotations

from typing import Final

# Order of dims in every result Dataset: leading axes first, then model subscripts.
SCENARIO: Final = "scenario"
MEMBER: Final = "member"
TIME: Final = "time"
LEADING_DIMS: Final = (SCENARIO, MEMBER, TIME)

# Model subscripts (Vensim subscript ranges in models/sdmission.mdl).
SECTOR: Final = "sector"
CLUSTER: Final = "cluster"
ROUTE: Final = "route"
INSTRUMENT: Final = "instrument"
FUNCTION: Final = "function"
MATERIAL: Final = "material"
SUBSCRIPT_DIMS: Final = (SECTOR, CLUSTER, ROUTE, INSTRUMENT, FUNCTION, MATERIAL)

CLUSTERS: Final = (
    "Rotterdam_Moerdijk",
    "Noordzeekanaalgebied",
    "Zeeland_West_Brabant",
    "Chemelot",
    "Noord_Nederland",
    "Cluster_6",
)
SECTORS: Final = ("iron_steel", "ammonia", "refining", "hvc", "other_chemicals", "minerals", "other_industry")
ROUTES: Final = ("conventional", "efficiency", "electrification", "hydrogen", "ccs", "circular")
INSTRUMENTS: Final = (
    "co2_levy",
    "invest_nl",
    "procurement",
    "rd_support",
    "sde",
    "regional_experiments",
    "governance",
    "compensation",
)
FUNCTIONS: Final = (
    "knowledge",
    "experimentation",
    "market_formation",
    "resources",
    "legitimacy",
    "guidance",
)

# Reference levels (shared/data/observed, Klimaatwet scope).
NATIONAL_GHG_1990_MT: Final = 227.9
INDUSTRY_GHG_1990_MT: Final = 86.8

# Headline outputs every result carries (python names of model variables).
HEADLINE_OUTPUTS: Final = (
    "industry_ghg",
    "national_ghg",
    "ghg_reduction_vs_1990",
    "industry_ghg_reduction_vs_1990",
    "circular_share",
    "public_cost",
)
