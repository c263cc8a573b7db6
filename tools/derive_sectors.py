"""Derive the sector tables of models/sdmission.mdl from /work/shared/data (MIDDEN plants, CRF series).

Run: python tools/derive_sectors.py [--data /work/shared/data]  -> writes models/data/*.csv
The .mdl carries the numbers printed here (its [data] comments cite these files); a test checks
that the .mdl's sector cluster shares and 2015 sector CO2 equal the derived tables.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import defaultdict
from pathlib import Path

SECTORS = ("iron_steel", "ammonia", "refining", "hvc", "other_chemicals", "minerals", "other_industry")
CLUSTERS = {"Rotterdam-Moerdijk": "Rotterdam_Moerdijk", "Noordzeekanaalgebied": "Noordzeekanaalgebied",
            "Zeeland-West-Brabant": "Zeeland_West_Brabant", "Chemelot": "Chemelot",
            "Noord-Nederland": "Noord_Nederland", "Other": "Cluster_6"}


def sector_of(plant: dict) -> str | None:
    """MIDDEN plant -> model sector (None: electricity production, which the Klimaatakkoord counts
    in the electricity sector, not in industry)."""
    main, name = str(plant["NACE_mainsector"]), str(plant["NACE_name"])
    if main.startswith("Electricity"):
        return None
    if "basic iron and steel" in name:
        return "iron_steel"
    if "fertilisers and nitrogen" in name:
        return "ammonia"
    if "refined petroleum" in name:
        return "refining"
    if "other organic basic chemicals" in name:
        return "hvc"
    if main.startswith("Manufacture of chemicals") or main.startswith("Manufacture of basic pharma"):
        return "other_chemicals"
    if main.startswith("Manufacture of other non-metallic"):
        return "minerals"
    return "other_industry"


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return 0.0


def crf(data: Path, stem: str, year: int) -> float:
    with open(data / "observed" / f"nl_crf_{stem}_mt.csv") as f:
        for row in csv.DictReader(f):
            if int(row["year"]) == year:
                return float(row["value"])
    raise KeyError((stem, year))


def observed(data: Path, name: str, year: int) -> float:
    with open(data / "observed" / name) as f:
        for row in csv.DictReader(f):
            if int(row["year"]) == year:
                return float(row["value"])
    raise KeyError((name, year))


def derive(data: Path) -> tuple[dict, dict, dict]:
    plants = json.loads((data / "midden" / "midden.json").read_text())
    em = defaultdict(float)
    n = defaultdict(int)
    by_cluster = defaultdict(float)
    for p in plants:
        s = sector_of(p)
        if s is None:
            continue
        e = _num(p["2020_nea_emissions_[tCO2e]"]) / 1e6
        em[s] += e
        n[s] += 1
        by_cluster[s, CLUSTERS[p["cluster_name"]]] += e
    share = {(s, c): by_cluster[s, c] / em[s] for s in SECTORS for c in CLUSTERS.values()}

    y = 2015
    co2 = {}
    co2["iron_steel"] = crf(data, "1A2a_iron_steel_combustion", y) + crf(data, "1A1ci_manufacture_solid_fuels_cokeovens", y) \
        + crf(data, "2C_metal_industry_process", y)
    co2["refining"] = crf(data, "1A1b_petroleum_refining", y)
    co2["minerals"] = crf(data, "1A2f_nonmetallic_minerals_combustion", y) + crf(data, "2A_mineral_industry_process", y)
    chem = crf(data, "1A2c_chemicals_combustion", y) + crf(data, "2B1_ammonia_process", y) + crf(data, "2B8_petrochemical_process", y)
    ammonia_process_share = 0.65  # SMR feedstock CO2 / all ammonia CO2 (MIDDEN ammonia report; see .mdl)
    co2["ammonia"] = crf(data, "2B1_ammonia_process", y) / ammonia_process_share
    rest = chem - co2["ammonia"]
    co2["hvc"] = rest * em["hvc"] / (em["hvc"] + em["other_chemicals"])
    co2["other_chemicals"] = rest - co2["hvc"]
    # closure on the Klimaatsector total (the calibration target): industry GHG minus the non-CO2 gases
    ghg = observed(data, "nl_ghg_industry_klimaatsector_mt.csv", y)
    non_co2 = sum(observed(data, f"nl_ghg_industry_{g}_emissieregistratie_mt.csv", y) for g in ("ch4", "n2o", "fgas"))
    total = ghg - non_co2
    co2["other_industry"] = total - sum(co2[s] for s in SECTORS if s != "other_industry")
    return em, n, share, co2, total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "models" / "data"))
    a = ap.parse_args()
    data, out = Path(a.data), Path(a.out)
    out.mkdir(exist_ok=True)
    em, n, share, co2, total = derive(data)
    with open(out / "sector_emissions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sector", "midden_2020_mtco2e", "midden_plants", "co2_2015_mt", "source_2015"])
        src = {
            "iron_steel": "CRF 1A2a + 1A1ci + 2C (2015)",
            "refining": "CRF 1A1b (2015)",
            "minerals": "CRF 1A2f + 2A (2015)",
            "ammonia": "CRF 2B1 (2015) / process share 0.65",
            "hvc": "CRF 1A2c + 2B1 + 2B8 (2015) minus ammonia, split hvc:other_chemicals by MIDDEN 2020",
            "other_chemicals": "as hvc",
            "other_industry": f"Klimaatsector industry GHG 2015 minus Emissieregistratie non-CO2 (= {total:.1f} Mt CO2) minus "
                              "the six sectors above (food, paper, other manufacturing, waste incineration, oil and gas "
                              "extraction, non-ETS industry)",
        }
        for s in SECTORS:
            w.writerow([s, round(em[s], 4), n[s], round(co2[s], 4), src[s]])
    with open(out / "sector_cluster_share.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sector", *CLUSTERS.values()])
        for s in SECTORS:
            w.writerow([s, *(round(share[s, c], 4) for c in CLUSTERS.values())])
    for s in SECTORS:
        print(f"{s:16s} MIDDEN 2020 {em[s]:6.2f} Mt ({n[s]:3d} plants)  CO2 2015 {co2[s]:6.3f}  clusters "
              + ", ".join(f"{share[s, c]:.4f}" for c in CLUSTERS.values()))


if __name__ == "__main__":
    main()
