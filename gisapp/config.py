"""Settings from the environment, in one place, with typed defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from gisapp.domain.security import PasswordPolicy
from gisapp.spatial.crs import Crs, UnknownCrs, parse_crs

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_AUDIT_RETENTION_DAYS = 180
SRID = 4326  # the one storage CRS: WGS84 lon/lat (CGCS2000 coincides at centimetre level)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off; unset or empty: the default."""
    raw = (os.environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={raw!r}: give 1 or 0 (true/false, yes/no, on/off)")


# the datums a basemap's tiles may be drawn in (docs/dashboard.md): WGS84 and CGCS2000 alike, or GCJ-02
BASEMAP_DATUMS = frozenset({Crs.WGS84, Crs.CGCS2000, Crs.GCJ02})


def _basemap_datum(value: str) -> Crs | None:
    try:
        return parse_crs(value)
    except UnknownCrs:
        return None


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of one app instance."""

    database_url: str | None = None
    var_dir: Path = PROJECT_ROOT / "var"
    sql_dir: Path = PROJECT_ROOT / "sql"
    secret_key: str = field(default="", repr=False)
    max_body_bytes: int = 64 * 1024
    max_upload_bytes: int = 50 * 1024 * 1024  # a layer file uploaded for import (multipart), 413 above
    max_photo_bytes: int = 8 * 1024 * 1024  # one photo of an event (JPEG or PNG), 413 above
    max_photos_per_event: int = 10  # 409 for one more (a step's `photos` also takes at most 10)
    page_limit_default: int = 50
    page_limit_max: int = 500
    pool_size: int = 10
    production: bool = False
    basemap_origin: str | None = None  # the basemap's tile host(s) for the CSP; derived from basemap_url if unset
    basemap_url: str | None = None  # an XYZ tile URL ({z}/{x}/{y}, {s} subdomains) or a WMTS KVP GetTile URL
    basemap_crs: str = "EPSG:4326"  # the tiles' datum: EPSG:4326/EPSG:4490 (Tianditu ..._w) or GCJ-02 (Amap ...)
    basemap_subdomains: str = ""  # the {s} values, e.g. "01234567" for Tianditu's t0..t7
    basemap_attribution: str = ""
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    login_rate_client: int = 30  # login attempts per minute from one address (0: no limit)
    login_rate_account: int = 10  # ... for one username
    intake_rate_client: int = 600  # event reports per minute from one address
    intake_rate_principal: int = 300  # ... by one account or integration
    rate_window_seconds: int = 60  # the counting window of those limits
    track_rate_client: int = 60  # reporters' tracking look-ups and ratings per minute from one address
    repeat_radius_m: float = 100.0  # a new event near (m) ...
    repeat_days: int = 30  # ... an event of its category closed this recently is a repeat (6.3)
    auto_support: bool = False  # a team's request for support is dispatched at once to the best candidates
    escalate_overdue: bool = True  # supervision sends a level-1 event overdue on handling to the county center
    grid_min_area_m2: float = 500.0  # a grid smaller than this is a sliver: the grid editor refuses it
    audit_retention_days: int = 180  # never less: GB/T 22239-2019 asks for six months
    password_policy: PasswordPolicy = PasswordPolicy()
    behind_proxy: bool = False  # trust one reverse proxy's X-Forwarded-For/-Proto (client address, HTTPS)
    audit_key_value: bytes | None = field(default=None, repr=False)  # else GISAPP_AUDIT_KEY or var/audit.key
    demo_simulate: bool = True  # `gisapp demo simulate` (started by `make run`) runs; 0 turns it off
    demo_history_days: int = 365  # `gisapp demo load` lays this many days of simulated history (0: none)
    demo_events_per_day: float = 3.0  # reports a day in the demo county's history
    demo_live_events_per_day: float = 48.0  # reports a day while the live simulation runs (something to watch)
    demo_seed: int = 1  # the simulation's seed: the same seed, the same county

    def __post_init__(self) -> None:
        if self.audit_retention_days < MIN_AUDIT_RETENTION_DAYS:
            raise ValueError(f"GISAPP_AUDIT_RETENTION_DAYS must be at least {MIN_AUDIT_RETENTION_DAYS}")
        if self.rate_window_seconds < 1:
            raise ValueError("the rate-limit window must be at least one second")
        if self.session_idle_minutes < 1 or self.session_absolute_hours < 1:
            raise ValueError("session limits must be positive")
        if self.basemap_datum not in BASEMAP_DATUMS:
            raise ValueError(
                f"GISAPP_BASEMAP_CRS {self.basemap_crs!r}: EPSG:4326, EPSG:4490 or GCJ-02 (Baidu's BD-09 "
                "tiles use their own tiling scheme and are not supported)"
            )

    @property
    def basemap_datum(self) -> Crs | None:
        """The basemap's CRS by its canonical name (gisapp.spatial.crs), None when it is not one."""
        return _basemap_datum(self.basemap_crs)

    @property
    def basemap_image_origin(self) -> str | None:
        """The CSP img-src source of the basemap: the setting, or the URL's scheme and host ({s} as a wildcard)."""
        if self.basemap_origin or not self.basemap_url:
            return self.basemap_origin
        from urllib.parse import urlsplit

        parts = urlsplit(self.basemap_url.replace("{s}", "SUBDOMAIN"))
        first, _, rest = parts.netloc.partition(".")
        # CSP wildcards stand for a whole leftmost label: t{s}.tianditu.gov.cn -> *.tianditu.gov.cn
        host = f"*.{rest}" if "SUBDOMAIN" in first and rest else parts.netloc
        return f"{parts.scheme}://{host}"

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def session_absolute(self) -> timedelta:
        return timedelta(hours=self.session_absolute_hours)

    @property
    def rate_limits(self) -> dict[str, tuple[int, int]]:
        """kind -> (per client address, per account) requests per minute."""
        return {
            "login": (self.login_rate_client, self.login_rate_account),
            "intake": (self.intake_rate_client, self.intake_rate_principal),
            "track": (self.track_rate_client, 0),
        }

    def security_summary(self) -> dict:
        """The effective security policy: shown to the system administrator, audited when it changes."""
        policy = self.password_policy
        return {
            "production": self.production,
            "session_idle_minutes": self.session_idle_minutes,
            "session_absolute_hours": self.session_absolute_hours,
            "rate_limits_per_window": {k: list(v) for k, v in self.rate_limits.items()},
            "rate_window_seconds": self.rate_window_seconds,
            "audit_retention_days": self.audit_retention_days,
            "password_policy": {
                "min_length": policy.min_length,
                "min_classes": policy.min_classes,
                "max_age_days": policy.max_age_days,
            },
        }

    @classmethod
    def from_env(cls) -> "Settings":
        """Read GISAPP_* and DATABASE_URL from the environment."""
        var_dir = Path(os.environ.get("GISAPP_VAR_DIR") or PROJECT_ROOT / "var")
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            var_dir=var_dir,
            secret_key=os.environ.get("GISAPP_SECRET_KEY", ""),
            max_body_bytes=_int("GISAPP_MAX_BODY_BYTES", 64 * 1024),
            max_upload_bytes=_int("GISAPP_MAX_UPLOAD_BYTES", 50 * 1024 * 1024),
            max_photo_bytes=_int("GISAPP_MAX_PHOTO_BYTES", 8 * 1024 * 1024),
            max_photos_per_event=_int("GISAPP_MAX_PHOTOS_PER_EVENT", 10),
            page_limit_default=_int("GISAPP_PAGE_LIMIT_DEFAULT", 50),
            page_limit_max=_int("GISAPP_PAGE_LIMIT_MAX", 500),
            pool_size=_int("GISAPP_DB_POOL_SIZE", 10),
            production=os.environ.get("GISAPP_ENV", "").lower() == "production",
            basemap_origin=os.environ.get("GISAPP_BASEMAP_ORIGIN") or None,
            basemap_url=os.environ.get("GISAPP_BASEMAP_URL") or None,
            basemap_crs=os.environ.get("GISAPP_BASEMAP_CRS") or "EPSG:4326",
            basemap_subdomains=os.environ.get("GISAPP_BASEMAP_SUBDOMAINS", ""),
            basemap_attribution=os.environ.get("GISAPP_BASEMAP_ATTRIBUTION", ""),
            session_idle_minutes=_int("GISAPP_SESSION_IDLE_MINUTES", 30),
            session_absolute_hours=_int("GISAPP_SESSION_ABSOLUTE_HOURS", 12),
            login_rate_client=_int("GISAPP_LOGIN_RATE_CLIENT", 30),
            login_rate_account=_int("GISAPP_LOGIN_RATE_ACCOUNT", 10),
            intake_rate_client=_int("GISAPP_INTAKE_RATE_CLIENT", 600),
            intake_rate_principal=_int("GISAPP_INTAKE_RATE_PRINCIPAL", 300),
            audit_retention_days=_int("GISAPP_AUDIT_RETENTION_DAYS", 180),
            track_rate_client=_int("GISAPP_TRACK_RATE_CLIENT", 60),
            repeat_radius_m=float(os.environ.get("GISAPP_REPEAT_RADIUS_M") or 100),
            repeat_days=_int("GISAPP_REPEAT_DAYS", 30),
            grid_min_area_m2=float(os.environ.get("GISAPP_GRID_MIN_AREA_M2") or 500),
            auto_support=os.environ.get("GISAPP_AUTO_SUPPORT", "").lower() in ("1", "true", "yes"),
            behind_proxy=os.environ.get("GISAPP_BEHIND_PROXY", "").lower() in ("1", "true", "yes"),
            escalate_overdue=_bool("GISAPP_ESCALATE_OVERDUE", True),
            demo_simulate=_bool("GISAPP_DEMO_SIMULATE", True),
            demo_history_days=_int("GISAPP_DEMO_HISTORY_DAYS", 365),
            demo_events_per_day=float(os.environ.get("GISAPP_DEMO_EVENTS_PER_DAY") or 3.0),
            demo_live_events_per_day=float(os.environ.get("GISAPP_DEMO_LIVE_EVENTS_PER_DAY") or 48.0),
            demo_seed=_int("GISAPP_DEMO_SEED", 1),
            password_policy=PasswordPolicy(
                min_length=_int("GISAPP_PASSWORD_MIN_LENGTH", 8),
                min_classes=_int("GISAPP_PASSWORD_MIN_CLASSES", 3),
                max_age_days=_int("GISAPP_PASSWORD_MAX_AGE_DAYS", 90),
            ),
        )

    def check_production(self) -> None:
        """Refuse to run in production with a missing or short secret key."""
        if self.production and len(self.secret_key) < 32:
            raise RuntimeError(
                "GISAPP_ENV=production needs GISAPP_SECRET_KEY: at least 32 random characters "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )

    def audit_key(self) -> bytes:
        """The HMAC key of the audit chain: GISAPP_AUDIT_KEY, else a random key kept in var/audit.key."""
        if self.audit_key_value:
            return self.audit_key_value
        from_env = os.environ.get("GISAPP_AUDIT_KEY")
        if from_env:
            return from_env.encode()
        path = self.var_dir / "audit.key"
        if not path.exists():
            import secrets

            self.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            os.chmod(path, 0o600)
        return path.read_text().strip().encode()

    def resolved_database_url(self) -> str:
        """DATABASE_URL if set, else the URL of the embedded cluster under var/."""
        if self.database_url:
            return self.database_url
        from gisapp.embedded import EmbeddedPostgres

        return EmbeddedPostgres(self.var_dir).url()
