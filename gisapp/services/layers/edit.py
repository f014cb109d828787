"""Create, replace, update and delete map features (OGC API - Features Part 4) for planners.

Key roads, key locations and cameras are written here, checked by gisapp.domain.features and kept
inside the editor's area; grids go through the versioned, topology-checked grid editing of
gisapp.services.jurisdiction.grid_edit (a grid never changes alone: its community must stay tiled). Every change
names the version it was based on (If-Match: the feature's ETag; for a grid its community layout's),
is audited as feature.create / feature.replace / feature.update / feature.delete in the same
transaction, and a camera's view follows its position and angles by trigger (sql/020).
"""

from __future__ import annotations

from shapely.geometry import mapping
from sqlalchemy import text
from sqlalchemy.orm import Session

from gisapp.db import geometry_sql, to_db
from gisapp.domain.areas import community_code
from gisapp.domain.features import CleanFeature, clean_feature, merge_patch
from gisapp.domain.grid_edit import GridItem
from gisapp.domain.layers import catalogue
from gisapp.errors import (
    AppError,
    Conflict,
    NotFound,
    OutsideJurisdiction,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)
from gisapp.services.access.audit import Actor, record
from gisapp.services.jurisdiction import grid_edit
from gisapp.services.jurisdiction.grid_edit import DEFAULT_MIN_AREA_M2
from gisapp.services.layers.features import feature_one


def _table(layer: str) -> tuple[str, str, str]:
    """Where a layer's features are written (all but grids): its table, id column and stored geometry's SQL."""
    declared = catalogue()[layer]
    geometry = ":geom"  # a geometry parameter (gisapp.db.geometry_sql)
    if declared.geometry_type.startswith("Multi"):  # a LineString sent is stored as a MultiLineString
        geometry = f"ST_Multi({geometry})"
    return declared.source.table, declared.id_property, geometry


def editable_layers() -> list[str]:
    return [name for name, layer in catalogue().items() if layer.editable]


def etag(version: str) -> str:
    return f'"{version}"'


def _editable(layer: str) -> None:
    if layer not in editable_layers():
        raise AppError(
            f"the layer {layer} is read-only; editable: {', '.join(sorted(editable_layers()))}",
            code="read_only_layer",
            status=405,
        )


def _check_version(current: str, if_match: str | None) -> None:
    """If-Match must name the current version: missing is 428, another one 412."""
    if not if_match or if_match.strip() == "*":
        raise PreconditionRequired("send If-Match with the ETag of the feature as you read it")
    if if_match.strip() != current:
        raise PreconditionFailed(
            f"the feature changed since it was read (now {current}): reload it and edit again", code="stale_version"
        )


def _current(session: Session, layer: str, area: tuple[str, dict], fid: str, if_match: str | None) -> dict:
    """The feature as it is now (locked for this transaction), after checking If-Match against it."""
    if layer != "grids":
        table, column, _ = _table(layer)
        session.execute(text(f"SELECT 1 FROM {table} WHERE {column} = :fid FOR UPDATE"), {"fid": fid})
    found = feature_one(session, layer, area, fid)
    if found is None:
        raise NotFound(f"no feature {fid} in {layer} within your area", code="unknown_feature")
    feature, version = found
    _check_version(etag(version), if_match)
    return feature


def _inside(session: Session, area: tuple[str, dict], geom) -> None:
    clause, params = area
    inside = session.execute(
        geometry_sql(f"SELECT {clause} FROM (SELECT :geom AS geom) t", params=("geom",)),
        {**params, "geom": to_db(geom)},
    ).scalar()
    if not inside:
        raise OutsideJurisdiction("the geometry lies outside your area", field="geometry")


def _audit(
    session: Session, key: bytes, actor: Actor, action: str, layer: str, clean: CleanFeature | dict, reason: str
) -> None:
    if isinstance(clean, CleanFeature):
        details = {"properties": clean.properties, "geometry": mapping(clean.geometry)}
        fid = clean.id
    else:  # a deleted feature, as it was
        details = {"properties": clean["properties"], "geometry": clean["geometry"]}
        fid = str(clean["id"])
    record(session, key, actor, action, target=f"{layer}/{fid}", details={**details, "reason": reason})


def _values(clean: CleanFeature) -> dict:
    return {**clean.properties, "fid": clean.id, "geom": to_db(clean.geometry)}


def create_feature(
    session: Session,
    key: bytes,
    actor: Actor,
    layer: str,
    area: tuple[str, dict],
    feature,
    *,
    reason: str,
    if_match: str | None = None,
    grid_min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> str:
    """Add a feature (its id in the body); a second create of the same id is 409, nothing duplicated.
    A grid is created in its community's layout (If-Match optional: the layout as it is now)."""
    _editable(layer)
    clean = clean_feature(layer, feature)
    _inside(session, area, clean.geometry)
    if layer == "grids":
        _create_grid(session, key, actor, clean, reason=reason, if_match=if_match, min_area_m2=grid_min_area_m2)
        _audit(session, key, actor, "feature.create", layer, clean, reason)
        return clean.id
    table, column, geometry = _table(layer)
    names = list(clean.properties)
    created = session.execute(
        geometry_sql(
            f"INSERT INTO {table} ({column}, {', '.join(names)}, geom) "
            f"VALUES (:fid, {', '.join(':' + n for n in names)}, {geometry}) "
            f"ON CONFLICT ({column}) DO NOTHING RETURNING {column}",
            params=("geom",),
        ),
        _values(clean),
    ).scalar_one_or_none()
    if created is None:
        raise Conflict(f"{layer} already has a feature {clean.id}: replace it (PUT) instead", code="duplicate_feature")
    _audit(session, key, actor, "feature.create", layer, clean, reason)
    return clean.id


def _write(
    session: Session,
    key: bytes,
    actor: Actor,
    layer: str,
    clean: CleanFeature,
    current: dict,
    *,
    action: str,
    reason: str,
    if_match: str,
    grid_min_area_m2: float,
) -> None:
    if layer == "grids":
        _replace_grid(
            session, key, actor, clean, current, reason=reason, if_match=if_match, min_area_m2=grid_min_area_m2
        )
    else:
        table, column, geometry = _table(layer)
        assignments = ", ".join(f"{n} = :{n}" for n in clean.properties)
        session.execute(
            geometry_sql(
                f"UPDATE {table} SET {assignments}, geom = {geometry} WHERE {column} = :fid", params=("geom",)
            ),
            _values(clean),
        )
    _audit(session, key, actor, action, layer, clean, reason)


def replace_feature(
    session: Session,
    key: bytes,
    actor: Actor,
    layer: str,
    area: tuple[str, dict],
    fid: str,
    feature,
    *,
    if_match: str | None,
    reason: str,
    grid_min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> None:
    """Replace a feature's properties and geometry as a whole (PUT)."""
    _editable(layer)
    current = _current(session, layer, area, fid, if_match)
    clean = clean_feature(layer, feature, fid)
    _inside(session, area, clean.geometry)
    _write(
        session,
        key,
        actor,
        layer,
        clean,
        current,
        action="feature.replace",
        reason=reason,
        if_match=if_match,
        grid_min_area_m2=grid_min_area_m2,
    )


def update_feature(
    session: Session,
    key: bytes,
    actor: Actor,
    layer: str,
    area: tuple[str, dict],
    fid: str,
    patch,
    *,
    if_match: str | None,
    reason: str,
    grid_min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> None:
    """Change part of a feature (PATCH): a JSON merge patch of its properties and/or geometry."""
    _editable(layer)
    if not isinstance(patch, dict) or not set(patch) <= {"type", "id", "properties", "geometry"}:
        raise ValidationFailed(
            'send a JSON merge patch of the feature: {"properties": {...}, "geometry": {...}}', code="invalid_patch"
        )
    current = _current(session, layer, area, fid, if_match)
    merged = merge_patch(current, patch)
    clean = clean_feature(layer, merged, fid)
    _inside(session, area, clean.geometry)
    _write(
        session,
        key,
        actor,
        layer,
        clean,
        current,
        action="feature.update",
        reason=reason,
        if_match=if_match,
        grid_min_area_m2=grid_min_area_m2,
    )


def delete_feature(
    session: Session,
    key: bytes,
    actor: Actor,
    layer: str,
    area: tuple[str, dict],
    fid: str,
    *,
    if_match: str | None,
    reason: str,
    grid_min_area_m2: float = DEFAULT_MIN_AREA_M2,
) -> None:
    """Remove a feature; its last state stays in the audit record. A grid is retired (its code never reused)."""
    _editable(layer)
    current = _current(session, layer, area, fid, if_match)
    if layer == "grids":
        grid_edit.edit(
            session,
            key,
            actor,
            community_code(fid),
            [],
            retires=[fid],
            if_match=if_match,
            reason=reason,
            min_area_m2=grid_min_area_m2,
        )
    else:
        table, column, _ = _table(layer)
        session.execute(text(f"DELETE FROM {table} WHERE {column} = :fid"), {"fid": fid})
    _audit(session, key, actor, "feature.delete", layer, current, reason)


# --- grids: through the versioned, topology-checked editing of their community -----------------------


def _replace_grid(
    session: Session,
    key: bytes,
    actor: Actor,
    clean: CleanFeature,
    current: dict,
    *,
    reason: str,
    if_match: str,
    min_area_m2: float,
) -> None:
    if clean.properties["name"] != current["properties"]["name"]:
        raise ValidationFailed(
            "a grid keeps its name here: only its geometry changes", code="rename_not_supported", field="name"
        )
    grid_edit.edit(
        session,
        key,
        actor,
        community_code(clean.id),
        [GridItem(clean.id, clean.geometry)],
        if_match=if_match,
        reason=reason,
        min_area_m2=min_area_m2,
    )


def _create_grid(
    session: Session,
    key: bytes,
    actor: Actor,
    clean: CleanFeature,
    *,
    reason: str,
    if_match: str | None,
    min_area_m2: float,
) -> None:
    community = community_code(clean.id)
    version = session.execute(
        text("SELECT layout_version FROM communities WHERE code = :c"), {"c": community}
    ).scalar_one_or_none()
    if version is None:
        raise ValidationFailed(
            f"{clean.id}: a grid code is a community's code and 3 more digits; there is no community {community}",
            code="bad_grid_code",
            field="code",
        )
    grid_edit.edit(
        session,
        key,
        actor,
        community,
        [],
        if_match=if_match or grid_edit.etag(community, version),
        reason=reason,
        creates=[GridItem(clean.id, clean.geometry, clean.properties["name"])],
        min_area_m2=min_area_m2,
    )
