"""Settings from the environment, in one place, with typed defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SRID = 4326  # the one storage CRS: WGS84 lon/lat (CGCS2000 coincides at centimetre level)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of one app instance."""

    database_url: str | None = None
    var_dir: Path = PROJECT_ROOT / "var"
    layers_dir: Path = PROJECT_ROOT / "layers"
    sql_dir: Path = PROJECT_ROOT / "sql"
    secret_key: str = field(default="", repr=False)
    max_body_bytes: int = 64 * 1024
    page_limit_default: int = 50
    page_limit_max: int = 500
    pool_size: int = 10
    production: bool = False
    basemap_origin: str | None = None

    @classmethod
    def from_env(cls) -> "Settings":
        """Read GISAPP_* and DATABASE_URL from the environment."""
        var_dir = Path(os.environ.get("GISAPP_VAR_DIR") or PROJECT_ROOT / "var")
        return cls(
            database_url=os.environ.get("DATABASE_URL") or None,
            var_dir=var_dir,
            secret_key=os.environ.get("GISAPP_SECRET_KEY", ""),
            max_body_bytes=_int("GISAPP_MAX_BODY_BYTES", 64 * 1024),
            page_limit_default=_int("GISAPP_PAGE_LIMIT_DEFAULT", 50),
            page_limit_max=_int("GISAPP_PAGE_LIMIT_MAX", 500),
            pool_size=_int("GISAPP_DB_POOL_SIZE", 10),
            production=os.environ.get("GISAPP_ENV", "").lower() == "production",
            basemap_origin=os.environ.get("GISAPP_BASEMAP_ORIGIN") or None,
        )

    def check_production(self) -> None:
        """Refuse to run in production with a missing or short secret key."""
        if self.production and len(self.secret_key) < 32:
            raise RuntimeError("GISAPP_ENV=production needs GISAPP_SECRET_KEY: at least 32 random characters "
                               "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")

    def audit_key(self) -> bytes:
        """The HMAC key of the audit chain: GISAPP_AUDIT_KEY, else a random key kept in var/audit.key."""
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
