"""The permission matrix: which kind of caller may use which route, and what part of the county it sees.

Deny by default: a route (Flask endpoint) that is not in MATRIX is reachable by nobody, and a
caller kind not listed for a route is refused. Callers are an account's role, an integration
(a system reporting on citizens' behalf, with an API key) or anonymous. docs/security.md
prints this table; a test keeps the two equal and calls every route as every caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from gisapp.domain.security import Role

ANONYMOUS = "anonymous"
INTEGRATION = "integration"

CALLERS: tuple[str, ...] = (*(str(r) for r in Role), INTEGRATION, ANONYMOUS)

BUSINESS = frozenset({Role.COUNTY_COMMANDER, Role.TOWNSHIP_DISPATCHER, Role.GRID_OFFICER, Role.DEPARTMENT_STAFF})
ACCOUNTS = frozenset(Role)
EVERYONE = frozenset(CALLERS)
# who reads the map layers over OGC API - Features: those of /api/v1/layers, and integrations (their county)
# not integrations: they report events; camera positions and team areas are not theirs to read
OGC_READERS = BUSINESS | {Role.PLANNER}
# the dispatch hall: the county center's commanders and the township sub-centers' dispatchers (7.2.1.1)
COMMANDERS = frozenset({Role.COUNTY_COMMANDER, Role.TOWNSHIP_DISPATCHER})
# the analysis of events (信息研判, 7.1.1.5) and the evaluation of townships, teams and departments (clause 8):
# the centers, and the auditor who reviews the county's figures (the county's see the county, a township's its own)
ANALYSTS = COMMANDERS | {Role.AUDITOR}
# who publishes the county's scorecards (考核结果): its commanders and its auditor
PUBLISHERS = frozenset({Role.COUNTY_COMMANDER, Role.AUDITOR})

# endpoint -> (who may call it, what it is for)
MATRIX: dict[str, tuple[frozenset, str]] = {
    "static": (EVERYONE, "the app's own scripts, styles and images"),
    "meta.healthz": (EVERYONE, "load-balancer probe: ok or the failing part, no versions"),
    "web.login": (EVERYONE, "the login page and its form"),
    "web.password": (EVERYONE, "the page to change one's own (possibly expired) password"),
    "web.logout": (ACCOUNTS, "end the browser session"),
    "web.index": (ACCOUNTS, "the map page (what it shows follows the role)"),
    "web.command": (COMMANDERS, "the commander dashboard (指挥调度): map, event queue, supervision, actions"),
    "web.planner": (frozenset({Role.PLANNER}), "the grid planner's editor page (网格规划)"),
    "web.officer": (frozenset({Role.GRID_OFFICER}), "the grid officer's phone page (网格员)"),
    "web.evaluation": (
        ANALYSTS,
        "the evaluation page (考核评价): figures by scope and period, trends, map, the events behind a figure",
    ),
    "auth.token": (EVERYONE, "exchange username and password for a bearer token"),
    "auth.password": (EVERYONE, "change one's own (possibly expired) password with the old one"),
    "auth.me": (ACCOUNTS, "who am I"),
    "auth.revoke": (ACCOUNTS, "revoke this bearer token"),
    "openapi.spec": (ACCOUNTS | {INTEGRATION}, "the OpenAPI document (not public: it maps the attack surface)"),
    "meta.categories": (BUSINESS | {Role.PLANNER, INTEGRATION}, "the event-category catalogue"),
    "meta.locate_point": (BUSINESS | {Role.PLANNER}, "which grid contains a point, within the caller's area"),
    "events.create_event": (BUSINESS | {INTEGRATION}, "report an event (integrations on their channels only)"),
    "events.list_all": (BUSINESS | {INTEGRATION}, "events in the caller's area, and those it reported"),
    "events.read_event": (BUSINESS | {INTEGRATION}, "one event in the caller's area or reported by it"),
    "events.act": (BUSINESS, "a step of the event's life cycle: the center's or the receiver's, in its area"),
    "events.supervisions": (
        frozenset({Role.COUNTY_COMMANDER, Role.TOWNSHIP_DISPATCHER}),
        "the supervision records (督办) of the caller's county or township",
    ),
    "events.track": (EVERYONE, "the reporter's view of a report by its tracking token (no personal data)"),
    "events.rate_report": (EVERYONE, "the reporter's rating of a closed report, by its tracking token"),
    "stream.events": (BUSINESS, "live updates of the events in the caller's area or given to it (server-sent events)"),
    "photos.upload_photo": (BUSINESS, "attach a photo (JPEG, PNG) to an event in the caller's area (audited)"),
    "photos.photo": (BUSINESS | {INTEGRATION}, "a photo of an event the caller sees (its area's, or reported by it)"),
    "events.unmask_reporter": (BUSINESS, "the reporter's name and phone, audited, for the event's handlers"),
    "support.support_candidates": (
        BUSINESS,
        "members proposed to support an event from the adjacent grids, for the event's center and its receivers",
    ),
    "duplicates.proposals": (BUSINESS, "open events in the caller's area near an event in place and time"),
    "duplicates.merge": (BUSINESS, "merge a duplicate report into the main event (the center of both)"),
    "duty.report": (frozenset({Role.GRID_OFFICER}), "a member reports its own duty status and position"),
    "duty.board": (
        frozenset({Role.COUNTY_COMMANDER, Role.TOWNSHIP_DISPATCHER}),
        "the duty board of the caller's county or township (7.1.1.4)",
    ),
    "coverage.coverage_report": (
        frozenset({Role.COUNTY_COMMANDER, Role.TOWNSHIP_DISPATCHER, Role.PLANNER}),
        "camera coverage of key roads and locations in the caller's area (7.1.3.2)",
    ),
    "grids.community_grids": (frozenset({Role.PLANNER, Role.COUNTY_COMMANDER}), "a community's grids and their ETag"),
    "grids.edit_grids": (
        frozenset({Role.PLANNER}),
        "change, create and retire grids: checked, versioned, previewable (If-Match)",
    ),
    "grids.fix_grids": (frozenset({Role.PLANNER}), "a proposed repair of a grid edit (nothing applied)"),
    "grids.split_grid": (frozenset({Role.PLANNER}), "split a grid along a line (checked, versioned, If-Match)"),
    "grids.merge_grids": (frozenset({Role.PLANNER}), "merge two grids sharing an edge (checked, versioned, If-Match)"),
    "grids.grid_history": (frozenset({Role.PLANNER, Role.COUNTY_COMMANDER}), "every version of a grid"),
    "grids.restore_grid": (frozenset({Role.PLANNER}), "restore an earlier version of a grid, through the checks"),
    "layers.export": (
        frozenset({Role.PLANNER, Role.COUNTY_COMMANDER}),
        "a layer as GeoJSON, GeoPackage or Shapefile in a chosen CRS (audited)",
    ),
    "imports.upload": (
        frozenset({Role.PLANNER}),
        "import a layer file into the planner's county: checked, all or nothing, a job to poll (audited)",
    ),
    "imports.job": (frozenset({Role.PLANNER}), "an import job of the planner's county: progress, problems, result"),
    "layers.index": (BUSINESS | {Role.PLANNER}, "the map layers"),
    "layers.features": (BUSINESS | {Role.PLANNER}, "one layer's features within the caller's area"),
    "ogc.landing": (OGC_READERS, "OGC API - Features: the landing page"),
    "ogc.conformance": (OGC_READERS, "OGC API - Features: the conformance classes"),
    "ogc.api_document": (OGC_READERS, "OGC API - Features: its OpenAPI 3.0 document"),
    "ogc.collections": (OGC_READERS, "OGC API - Features: the map layers with their extent in the caller's area"),
    "ogc.collection": (OGC_READERS, "OGC API - Features: one map layer"),
    "ogc.queryables": (OGC_READERS, "OGC API - Features: the properties a layer's features filter on"),
    "ogc.schema": (OGC_READERS, "OGC API - Features: the declared properties of a layer's features (JSON Schema)"),
    "ogc.items": (OGC_READERS, "OGC API - Features: a layer's features in the caller's area, paged and filtered"),
    "ogc.item": (OGC_READERS, "OGC API - Features: one feature in the caller's area, with its ETag"),
    "ogc.create_item": (frozenset({Role.PLANNER}), "add a grid, key road, key location or camera (checked, audited)"),
    "ogc.replace_item": (frozenset({Role.PLANNER}), "replace a feature (If-Match; grids through the topology checks)"),
    "ogc.update_item": (frozenset({Role.PLANNER}), "change part of a feature: JSON merge patch (If-Match)"),
    "ogc.delete_item": (frozenset({Role.PLANNER}), "remove a feature (If-Match; audited with its last state)"),
    "tiles.tile": (BUSINESS | {Role.PLANNER}, "one vector tile (MVT) of a layer within the caller's area (cached)"),
    "tiles.tilejson_document": (BUSINESS | {Role.PLANNER}, "a layer's TileJSON: tile URL, zooms, the caller's area"),
    "dashboard.queue": (COMMANDERS, "the open events of the caller's county or township by urgency"),
    "dashboard.grid_loads": (COMMANDERS, "open and overdue events per grid of the caller's county or township"),
    "dashboard.members": (COMMANDERS, "the members on the map of the caller's county or township, by bbox"),
    "dashboard.today": (COMMANDERS, "today's figures (China Standard Time) of the caller's county or township"),
    "dashboard.event_actions": (COMMANDERS, "the life-cycle actions the caller may take on an event now"),
    "dashboard.search": (COMMANDERS, "find an event, a coordinate or a place of the caller's county or township"),
    "evaluation.figures": (
        ANALYSTS,
        "figures of the caller's county or township by scope and period, with "
        "numerators, denominators and comparisons (clause 8)",
    ),
    "evaluation.drill": (ANALYSTS, "the events counted in one figure of one unit of the caller's area"),
    "evaluation.trend": (ANALYSTS, "one unit's figures by day or month over a period"),
    "evaluation.workload": (ANALYSTS, "events by category, kind, channel or level in the caller's area"),
    "analysis.hotspots": (
        ANALYSTS,
        "hot and cold grids (Getis-Ord Gi*) of the caller's county or township in a period (7.1.1.5)",
    ),
    "analysis.trends": (
        ANALYSTS,
        "each category's events in a period against the previous periods: emerging ones (7.1.1.5)",
    ),
    "evaluation.ranking": (
        ANALYSTS,
        "the live ranking of the townships, teams or departments of the caller's area "
        "with the county's current weights (8.4)",
    ),
    "evaluation.scorecards": (ANALYSTS, "the published scorecards of the caller's county (announced to its centers)"),
    "evaluation.scorecard": (ANALYSTS, "one published scorecard of the caller's county, with the weights used"),
    "evaluation.publish_scorecard": (
        PUBLISHERS,
        "publish the scorecard of a scope and an ended period: final, stored with its weights (audited)",
    ),
    "evaluation.export": (ANALYSTS, "the figures of the caller's area as XLSX (a sheet per scope) or CSV (audited)"),
    "web.evaluation_report": (
        ANALYSTS,
        "the printable duty report (值班日报、周报、月报) of the caller's county or township",
    ),
    "audit.audit_records": (frozenset({Role.AUDITOR}), "read the audit trail"),
    "users.list_users": (frozenset({Role.SECURITY_ADMIN}), "list accounts"),
    "users.create_account": (frozenset({Role.SECURITY_ADMIN}), "create an account"),
    "users.disable_account": (frozenset({Role.SECURITY_ADMIN}), "disable an account"),
    "users.reset_account_password": (frozenset({Role.SECURITY_ADMIN}), "set a new password, unlock"),
    "users.integrations_index": (frozenset({Role.SECURITY_ADMIN}), "list integrations"),
    "users.integration_create": (frozenset({Role.SECURITY_ADMIN}), "register an integration, get its key"),
    "users.integration_disable": (frozenset({Role.SECURITY_ADMIN}), "disable an integration"),
    "system.status": (frozenset({Role.SYSTEM_ADMIN}), "schema version, database and pool state"),
}


def allowed(endpoint: str | None, caller: str) -> bool:
    """May this kind of caller use the endpoint? Unknown endpoints: nobody.

    >>> allowed("audit.audit_records", "auditor"), allowed("audit.audit_records", "county_commander")
    (True, False)
    >>> allowed("events.create_event", "integration"), allowed("no.such_route", "system_admin")
    (True, False)
    """
    entry = MATRIX.get(endpoint or "")
    return entry is not None and caller in entry[0]


@dataclass(frozen=True)
class Scope:
    """The part of the county a caller sees: a column of the event row (or an area) and its value,
    plus the events it reported itself. column None means: only what it reported."""

    column: str | None
    value: str | None
    submitter: str


_EVENT_COLUMN = {
    Role.COUNTY_COMMANDER: "county_code",
    Role.TOWNSHIP_DISPATCHER: "township_code",
    Role.GRID_OFFICER: "grid_code",
    Role.DEPARTMENT_STAFF: "department_code",
}


def event_scope(caller: str, bound_to: str | None, submitter: str) -> Scope:
    """Which events a caller sees: its county, township, grid or department's, and its own reports.

    >>> event_scope("township_dispatcher", "320102002", "user:li")
    Scope(column='township_code', value='320102002', submitter='user:li')
    >>> event_scope("integration", None, "integration:app")
    Scope(column=None, value=None, submitter='integration:app')
    """
    column = _EVENT_COLUMN.get(Role(caller)) if caller in set(Role) else None
    return Scope(column, bound_to if column else None, submitter)


def matrix_markdown() -> str:
    """The matrix as a Markdown table (docs/security.md carries it; a test keeps them equal)."""
    head = "| route | " + " | ".join(CALLERS) + " | purpose |"
    rule = "|---|" + "---|" * len(CALLERS) + "---|"
    rows = [
        f"| `{endpoint}` | " + " | ".join("✓" if c in who else "" for c in CALLERS) + f" | {purpose} |"
        for endpoint, (who, purpose) in MATRIX.items()
    ]
    return "\n".join([head, rule, *rows])
