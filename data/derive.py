#!/usr/bin/env python3
"""Derive data/catalog.json from the reference catalog and coordinates.

Run from the repository root with the reference folder as argument:
    python3 data/derive.py ../shared/reference
The output is committed; the server and the app never read the reference folder.
"""
import json
import sys
from pathlib import Path

ref = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference")
cat = json.loads((ref / "catalog.json").read_text())
geo = json.loads((ref / "geo.json").read_text())

countries = []
for name in cat["countries"]["items"]:
    rows = cat["peeringServiceLocations"]["byCountry"][name]
    locs = []
    for row in rows:
        g = geo["locations"][name][row["state"]]
        locs.append({"state": row["state"], "azureRegion": row["azureRegion"],
                     "lat": g["lat"], "lon": g["lon"]})
    countries.append({"name": name, "iso2": geo["countries"][name]["iso2"], "locations": locs})

spelling_to_metro = {}
for key, m in geo["metros"].items():
    for s in m["spellings"]:
        spelling_to_metro[s] = key
metros = {}
providers = []
for p in cat["providersFromApi"]["items"]:
    for loc in p["peeringLocations"]:
        key = spelling_to_metro[loc]
        m = geo["metros"][key]
        metros[key] = {"lat": m["lat"], "lon": m["lon"], "country": m["country"], "spellings": m["spellings"]}
    providers.append({"name": p["serviceProviderName"], "peeringLocations": p["peeringLocations"]})

out = {
    "about": "Azure Peering Service catalog (countries, customer locations with Azure region and "
             "coordinates, providers with peering locations, metro coordinates). Derived by "
             "data/derive.py; see data/README.md for sources, licences and attribution.",
    "sources": {
        "countries": cat["sources"][cat["countries"]["source"]],
        "locations": cat["sources"][cat["peeringServiceLocations"]["source"]],
        "providers": cat["sources"][cat["providersFromApi"]["source"]],
        "coordinates": geo["sources"],
    },
    "attribution": "Contains data from GeoNames (https://www.geonames.org/), licensed under CC BY 4.0. "
                   "US state centroids derived from U.S. Census Bureau cartographic boundary files. "
                   "Made with Natural Earth.",
    "countries": countries,
    "providers": providers,
    "metros": dict(sorted(metros.items())),
}
Path("data/catalog.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
print(f"{len(countries)} countries, {sum(len(c['locations']) for c in countries)} locations, "
      f"{len(providers)} providers, {len(metros)} metros")
