"""The `gisapp` command line: database, demo data and serving."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from gisapp.config import PROJECT_ROOT, Settings


def _settings() -> Settings:
    return Settings.from_env()


def _engine():
    from gisapp.db import make_engine

    return make_engine(_settings().resolved_database_url(), pool_size=2)


@click.group(help="gisapp: GIS grid management for social-governance joint duty (DB32/T 3335-2017).")
def main() -> None:
    pass


@main.group(help="The database: embedded PostGIS cluster and migrations.")
def db() -> None:
    pass


@db.command(
    "start",
    help="Create (first time) and start the embedded PostGIS under var/; does nothing when DATABASE_URL is set.",
)
def db_start() -> None:
    settings = _settings()
    if settings.database_url:
        click.echo("DATABASE_URL is set: using the external database, nothing started")
        return
    from gisapp.embedded import EmbeddedPostgres

    url = EmbeddedPostgres(settings.var_dir).start()
    click.echo(f"embedded PostGIS running at {url.split('@')[-1]}")


@db.command("stop", help="Stop the embedded PostGIS.")
def db_stop() -> None:
    from gisapp.embedded import EmbeddedPostgres

    stopped = EmbeddedPostgres(_settings().var_dir).stop()
    click.echo("embedded PostGIS stopped" if stopped else "embedded PostGIS was not running")


@db.command("create", help="Create a database in the embedded cluster (used for the test database).")
@click.argument("name")
def db_create(name: str) -> None:
    from gisapp.embedded import EmbeddedPostgres

    EmbeddedPostgres(_settings().var_dir).ensure_database(name)
    click.echo(f"database {name} ready")


@db.command("url", help="Print the SQLAlchemy URL the app uses.")
@click.option("--database", default=None, help="another database of the embedded cluster")
def db_url(database: str | None) -> None:
    settings = _settings()
    if database and not settings.database_url:
        from gisapp.embedded import EmbeddedPostgres

        click.echo(EmbeddedPostgres(settings.var_dir).url(database))
    else:
        click.echo(settings.resolved_database_url())


@db.command("upgrade", help="Apply the pending sql/NNN_*.sql migrations in order.")
def db_upgrade() -> None:
    from gisapp.migrate import upgrade

    applied = upgrade(_engine(), _settings().sql_dir)
    click.echo(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


@main.group(help="Demo and synthetic jurisdictions.")
def demo() -> None:
    pass


@demo.command("build", help="Regenerate layers/demo from the Nanjing source data (玄武区).")
@click.option("--source", type=click.Path(path_type=Path), default=PROJECT_ROOT / "layers/source/nanjing")
@click.option("--out", type=click.Path(path_type=Path), default=PROJECT_ROOT / "layers/demo")
def demo_build(source: Path, out: Path) -> None:
    from gisapp.demo.build import build

    counts = build(source, out)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


@demo.command(
    "synth",
    help="Generate a synthetic jurisdiction of any size (for benchmarks); with --history, "
    "write a synthetic event history by COPY onto the loaded synthetic county instead.",
)
@click.option("--grids", type=click.IntRange(1), help="grids of the jurisdiction (files written to --out)")
@click.option(
    "--events",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="events written to events.jsonl (routed through the intake service when loaded)",
)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", type=click.Path(path_type=Path))
@click.option(
    "--history",
    type=click.IntRange(1),
    default=None,
    help="write this many events of history into the database (COPY), with tasks, log and supervision "
    "records, then rebuild the evaluation roll-ups",
)
@click.option("--years", type=click.IntRange(1, 5), default=2, show_default=True, help="years of --history")
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="the history ends at this date's midnight in the county (default: today's)",
)
@click.option("--rebuild/--no-rebuild", default=True, show_default=True, help="eval_rebuild() after --history")
def demo_synth(
    grids: int | None, events: int, seed: int, out: Path | None, history: int | None, years: int, until, rebuild: bool
) -> None:
    if history:
        return _synth_history(history, years, seed, until, rebuild)
    if grids is None or out is None:
        raise click.UsageError("--grids and --out are required (or --history N to write events into the database)")
    from gisapp.demo.synth import synthesize

    counts = synthesize(out, grids=grids, events=events, seed=seed)
    click.echo(", ".join(f"{k}: {v}" for k, v in counts.items()))


def _synth_history(events: int, years: int, seed: int, until, rebuild: bool) -> None:
    """The history by COPY in one transaction, a progress bar per event, then the roll-ups rebuilt."""
    import time

    from gisapp.db import make_session_factory, transaction, without_statement_timeout
    from gisapp.demo.history import TZ, write_history
    from gisapp.services.evaluation.figures import rebuild as rebuild_evaluation

    if _settings().production:
        raise click.ClickException("a synthetic history is refused in production mode (GISAPP_ENV=production)")
    end = until.replace(tzinfo=TZ) if until else None
    raw = _engine().raw_connection()
    try:
        conn = raw.driver_connection
        started = time.monotonic()
        with click.progressbar(length=events, label="copying events", show_pos=True) as bar:
            counts = write_history(conn, events=events, years=years, seed=seed, until=end, progress=bar.update)
            conn.commit()
        seconds = time.monotonic() - started
        click.echo(
            f"copied {counts.events} events, {counts.tasks} tasks, {counts.log} log rows, "
            f"{counts.supervisions} supervision records in {counts.copy_seconds:.0f} s "
            f"({counts.events / counts.copy_seconds:,.0f} events/s); {counts.indexes_rebuilt} indexes "
            f"created again in {counts.index_seconds:.0f} s; {seconds:.0f} s in all"
        )
        if rebuild:
            started = time.monotonic()
            with transaction(make_session_factory(_engine())) as session:
                without_statement_timeout(session)
                facts = rebuild_evaluation(session)
            click.echo(f"eval_rebuild(): {facts} events in {time.monotonic() - started:.0f} s")
    finally:
        raw.close()


@demo.command(
    "load",
    help="Load a generated jurisdiction (default: the demo county) into the database, "
    "with one demo account per role and, for the demo county, a year of simulated "
    "history (refused in production mode).",
)
@click.option(
    "--source", type=click.Path(path_type=Path, exists=True, file_okay=False), default=PROJECT_ROOT / "layers/demo"
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="do nothing when a jurisdiction is already loaded (a demo county without any event still gets its history)",
)
@click.option(
    "--accounts/--no-accounts",
    default=True,
    show_default=True,
    help="create the demo accounts (password in the README; local use only)",
)
@click.option(
    "--history-days",
    type=click.IntRange(0),
    default=None,
    help="days of simulated history up to now [GISAPP_DEMO_HISTORY_DAYS, 365, for the demo county; 0: none]",
)
@click.option(
    "--events-per-day",
    type=click.FloatRange(0.1, 1000),
    default=None,
    help="reports a day in the history [GISAPP_DEMO_EVENTS_PER_DAY, 3]",
)
@click.option("--seed", type=int, default=None, help="the simulation's seed [GISAPP_DEMO_SEED, 1]")
def demo_load(
    source: Path,
    if_empty: bool,
    accounts: bool,
    history_days: int | None,
    events_per_day: float | None,
    seed: int | None,
) -> None:
    from gisapp.db import make_session_factory, transaction
    from gisapp.services.events.read import has_events

    settings = _settings()
    if settings.production:
        raise click.ClickException("loading the demo is refused in production mode (GISAPP_ENV=production)")
    with transaction(make_session_factory(_engine())) as session:
        if _already_loaded(session, settings, if_empty, accounts):
            if not (_is_demo(session) and not has_events(session)):
                return
            days = settings.demo_history_days if history_days is None else history_days
        else:
            days = _load(session, settings, source, accounts, history_days)
    _lay_history(
        settings, days, events_per_day or settings.demo_events_per_day, settings.demo_seed if seed is None else seed
    )


def _already_loaded(session, settings: Settings, if_empty: bool, accounts: bool) -> bool:
    """True (having said so) when a jurisdiction is loaded: kept, with any missing demo account added."""
    from gisapp.services.access.accounts import create_demo_accounts
    from gisapp.services.jurisdiction.areas import is_loaded

    if not is_loaded(session):
        return False
    if not if_empty:
        raise click.ClickException("a jurisdiction is already loaded; load into an empty database")
    # a database loaded before the demo accounts existed gets them (the demo county only)
    made = (
        create_demo_accounts(session, settings.audit_key(), _cli_actor(), production=False)
        if accounts and _is_demo(session)
        else []
    )
    click.echo(
        "a jurisdiction is already loaded: kept as it is"
        + (f"; demo accounts added: {', '.join(made)}" if made else "")
    )
    return True


def _load(session, settings: Settings, source: Path, accounts: bool, history_days: int | None) -> int:
    """Load the jurisdiction and the demo accounts; the days of history it is to get."""
    from gisapp.services.access.accounts import create_demo_accounts
    from gisapp.services.jurisdiction.areas import load_jurisdiction

    counts = load_jurisdiction(session, source, progress=lambda step: click.echo(f"loading {step} ..."))
    if accounts:
        made = create_demo_accounts(session, settings.audit_key(), _cli_actor(), production=settings.production)
        counts["demo accounts"] = len(made)
    click.echo("loaded " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    if history_days is not None:
        return history_days
    return settings.demo_history_days if _is_demo(session) else 0


def _lay_history(settings: Settings, days: int, events_per_day: float, seed: int) -> None:
    """The demo county's past days, made by the simulation on a simulated clock (gisapp/demo/simulate.py)."""
    import time
    from datetime import datetime, timedelta, timezone

    from gisapp.db import make_session_factory
    from gisapp.demo.simulate import lay_history

    if days <= 0:
        return
    end = datetime.now(timezone.utc)
    started = time.monotonic()
    with (
        make_session_factory(_engine())() as session,
        click.progressbar(length=days, label=f"history ({days} days)", file=sys.stderr) as bar,
    ):
        counts = lay_history(
            session,
            settings.audit_key(),
            start=end - timedelta(days=days),
            end=end,
            seed=seed,
            events_per_day=events_per_day,
            progress=lambda _done: bar.update(1),
        )
    click.echo(
        f"history laid in {time.monotonic() - started:.0f} s: {counts.events} events, {counts.steps} steps, "
        f"{counts.positions} positions, {counts.supervision_passes} supervision passes (seed {seed}); "
        f"{_fold(make_session_factory(_engine()))} events folded into the evaluation"
    )


@demo.command(
    "simulate",
    help="Keep the demo county alive beside the app: members on shift post their positions "
    "every 30-60 s, reports arrive on every channel, simulated receivers and centers "
    "handle them. Turned off by GISAPP_DEMO_SIMULATE=0; refused in production mode.",
)
@click.option("--seed", type=int, default=None, help="[GISAPP_DEMO_SEED, 1]")
@click.option(
    "--events-per-day", type=click.FloatRange(0.1, 10000), default=None, help="[GISAPP_DEMO_LIVE_EVENTS_PER_DAY, 48]"
)
@click.option("--once", is_flag=True, help="one tick (every member's report, whatever is due), then exit")
def demo_simulate(seed: int | None, events_per_day: float | None, once: bool) -> None:
    import time

    from gisapp.db import make_session_factory
    from gisapp.demo.simulate import start_simulation

    settings = _settings()
    if settings.production:
        raise click.ClickException("the demo simulation is refused in production mode (GISAPP_ENV=production)")
    if not settings.demo_simulate:
        click.echo("the demo simulation is turned off (GISAPP_DEMO_SIMULATE=0)")
        return
    from gisapp.errors import AppError

    with make_session_factory(_engine())() as session:
        try:
            sim = start_simulation(
                session,
                settings.audit_key(),
                seed=settings.demo_seed if seed is None else seed,
                events_per_day=events_per_day or settings.demo_live_events_per_day,
            )
        except AppError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from None
        reported = time.monotonic() - 600
        while True:
            counts = sim.tick()
            if once or time.monotonic() - reported >= 600:  # a line now and then, not one per tick
                click.echo("simulation: " + ", ".join(f"{k} {v}" for k, v in counts.as_dict().items()))
                reported = time.monotonic()
            if once:
                return
            time.sleep(sim.seconds_to_next())


def _is_demo(session) -> bool:
    """Is the loaded jurisdiction the demo county (the one its accounts are made for)?"""
    from gisapp.demo.xuanwu import COUNTY_CODE
    from gisapp.services.jurisdiction.areas import has_county

    return has_county(session, COUNTY_CODE)


@main.group(help="Accounts (roles bound to an area or a department).")
def users() -> None:
    pass


def _cli_actor():
    import getpass

    from gisapp.services.access.audit import Actor

    return Actor(f"cli:{getpass.getuser()}", "system", "local")


@users.command("create", help="Create an account; the password is asked for unless --password is given.")
@click.option("--username", required=True)
@click.option(
    "--role",
    required=True,
    help="county_commander, township_dispatcher, grid_officer, "
    "department_staff, planner, auditor, security_admin, system_admin",
)
@click.option("--bound-to", required=True, help="the county, township or grid code, or the department code")
@click.option("--display-name", default="")
@click.password_option("--password", prompt="Password", help="prompted (hidden) when omitted")
def users_create(username: str, role: str, bound_to: str, display_name: str, password: str) -> None:
    from gisapp.db import make_session_factory, transaction
    from gisapp.errors import AppError
    from gisapp.services.access.accounts import create_user

    try:
        with transaction(make_session_factory(_engine())) as session:
            account = create_user(
                session,
                _settings().audit_key(),
                _cli_actor(),
                username=username,
                role=role,
                bound_to=bound_to,
                password=password,
                display_name=display_name,
            )
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    click.echo(f"created {account.username} ({account.role}, {account.binding} {account.bound_to})")


def _audited_change(change, *args, **kwargs):
    """Run one audited service change in its own transaction; an AppError becomes a ClickException."""
    from gisapp.db import make_session_factory, transaction
    from gisapp.errors import AppError

    try:
        with transaction(make_session_factory(_engine())) as session:
            return change(session, _settings().audit_key(), _cli_actor(), *args, **kwargs)
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


@users.command("disable", help="Disable an account and revoke its tokens.")
@click.argument("username")
def users_disable(username: str) -> None:
    from gisapp.services.access.accounts import disable_user

    _audited_change(disable_user, username)
    click.echo(f"disabled {username}")


@users.command("reset-password", help="Set a new password (asked for), unlock the account, revoke its tokens.")
@click.argument("username")
@click.password_option("--password", prompt="New password", help="prompted (hidden) when omitted")
def users_reset_password(username: str, password: str) -> None:
    from gisapp.services.access.accounts import reset_password

    _audited_change(reset_password, username, password)
    click.echo(f"password of {username} reset")


@users.command("list", help="List the accounts.")
def users_list() -> None:
    from gisapp.db import make_session_factory, transaction
    from gisapp.services.access.accounts import all_accounts

    with transaction(make_session_factory(_engine())) as session:
        rows = all_accounts(session)
    for r in rows:
        state = (
            "disabled"
            if r.disabled
            else (f"locked until {r.locked_until:%Y-%m-%d %H:%M}" if r.locked_until else "active")
        )
        click.echo(f"{r.username:24} {r.role:20} {r.bound:16} {state}")


@main.command(help="Supervise open tasks against their time limits (督办): warn, mark overdue, escalate by policy.")
@click.option("--once", is_flag=True, help="one pass, then exit")
@click.option("--at", "at", default=None, help="evaluate as of this ISO 8601 time (with its offset) instead of now")
@click.option("--interval", default=60, show_default=True, help="seconds between passes when looping")
@click.option("--warn-share", default=0.8, show_default=True, help="warn when this share of a limit is used")
@click.option(
    "--escalate-overdue/--no-escalate-overdue",
    default=None,
    help="send level-1 events overdue on handling to the county center (default: on, as the standard "
    "reads; GISAPP_ESCALATE_OVERDUE=0 turns it off)",
)
def supervise(once: bool, at: str | None, interval: int, warn_share: float, escalate_overdue: bool | None) -> None:
    import time
    from datetime import datetime, timezone

    from gisapp.db import make_session_factory
    from gisapp.domain.supervision import Policy
    from gisapp.services.events.supervision import run_pass

    when = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
    if when is not None and when.tzinfo is None:
        raise click.BadParameter("give the time with its offset, e.g. 2026-12-01T09:00:00+08:00", param_hint="--at")
    settings = _settings()
    escalate = settings.escalate_overdue if escalate_overdue is None else escalate_overdue
    policy, sessions, key = Policy(warn_share, escalate), make_session_factory(_engine()), settings.audit_key()
    click.echo(
        f"supervising: warn at {warn_share:.0%} of a limit; overdue level-1 events "
        f"{'escalate to the county center' if escalate else 'stay at level 1'}"
    )
    while True:
        with sessions() as session:
            result = run_pass(session, key, now=when or datetime.now(timezone.utc), policy=policy)
        click.echo(
            f"checked {result.checked} open task(s): {result.warned} warned, {result.overdue} overdue, "
            f"{len(result.escalated)} escalated; {_fold(sessions)} event(s) folded into the evaluation"
        )
        if once or when is not None:
            return
        time.sleep(interval)


def _fold(sessions) -> int:
    """Fold the events changed since the last pass into the evaluation roll-ups (clause 8)."""
    from gisapp.services.evaluation.figures import fold

    with sessions() as session:
        done = fold(session)
        session.commit()
    return done


@main.group(help="Evaluation (考核, clause 8): the roll-ups behind the figures, the weights of the scorecards.")
def evaluation() -> None:
    pass


@evaluation.command(
    "fold",
    help="Fold every pending change into the roll-ups (the supervision worker does it "
    "every pass; the evaluation API before it answers).",
)
def evaluation_fold() -> None:
    from gisapp.db import make_session_factory

    click.echo(f"{_fold(make_session_factory(_engine()))} event(s) folded")


@evaluation.command(
    "rebuild",
    help="Recompute every fact and roll-up from the events (after a bulk load, or to check the incremental roll-ups).",
)
def evaluation_rebuild() -> None:
    from gisapp.db import make_session_factory, transaction
    from gisapp.services.evaluation.figures import rebuild

    with transaction(make_session_factory(_engine())) as session:
        click.echo(f"{rebuild(session)} event(s) rebuilt")


@evaluation.group(
    "weights",
    invoke_without_command=True,
    help="The weight of each scored figure in a county (default: show them). Scores are "
    "Σ weight × subscore ÷ Σ weight (docs/evaluation.md).",
)
@click.option("--county", default=None, help="the county's code (default: the only county loaded)")
@click.pass_context
def evaluation_weights(ctx: click.Context, county: str | None) -> None:
    ctx.obj = {"county": county}
    if ctx.invoked_subcommand is None:
        ctx.invoke(weights_show)


def _county_of(ctx: click.Context, session) -> str:
    return (ctx.obj or {}).get("county") or _only_county(session)


@evaluation_weights.command("show", help="List each scored figure with its weight, its default and who set it.")
@click.pass_context
def weights_show(ctx: click.Context) -> None:
    from gisapp.db import make_session_factory, transaction
    from gisapp.services.evaluation.scorecards import weight_table

    with transaction(make_session_factory(_engine())) as session:
        county = _county_of(ctx, session)
        rows = weight_table(session, county)
    click.echo(f"weights of county {county} (the score is the weighted mean of the subscores):")
    for row in rows:
        source = f"set by {row['set_by']} at {row['set_at']:%Y-%m-%d %H:%M}" if row["set_by"] else "default"
        click.echo(f"  {row['kpi']:24} {row['weight']:>7}  {row['name']} ({source}; default {row['default']})")
    click.echo(f"  {'total':24} {sum(r['weight'] for r in rows):>7}")


def _weights_change(ctx: click.Context, change, *args):
    """Run one audited change of a county's weights; an AppError becomes a ClickException."""
    from gisapp.db import make_session_factory, transaction
    from gisapp.errors import AppError

    try:
        with transaction(make_session_factory(_engine())) as session:
            return change(session, _settings().audit_key(), _cli_actor(), _county_of(ctx, session), *args)
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None


@evaluation_weights.command("set", help="Give one figure a weight (0 to 100, two decimals at most); audited.")
@click.option("--kpi", required=True, help="a scored figure, e.g. closure_rate (see `weights show`)")
@click.option("--weight", required=True, help="e.g. 20 or 12.5; 0 leaves the figure out of the score")
@click.pass_context
def weights_set(ctx: click.Context, kpi: str, weight: str) -> None:
    from gisapp.domain.evaluation_score import parse_kpi, parse_weight
    from gisapp.errors import AppError
    from gisapp.services.evaluation.scorecards import set_weight

    try:
        key, value = parse_kpi(kpi), parse_weight(weight)
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    done = _weights_change(ctx, set_weight, key, value)
    click.echo(f"{done['kpi']}: weight {done['previous']} -> {done['weight']}")


@evaluation_weights.command("reset", help="Back to the default weights: every figure, or one with --kpi; audited.")
@click.option("--kpi", default=None, help="only this figure")
@click.pass_context
def weights_reset(ctx: click.Context, kpi: str | None) -> None:
    from gisapp.domain.evaluation_score import parse_kpi
    from gisapp.errors import AppError
    from gisapp.services.evaluation.scorecards import reset_weights

    try:
        key = parse_kpi(kpi) if kpi is not None else None
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    removed = _weights_change(ctx, reset_weights, key)
    click.echo(f"reset {key or 'every figure'} to the default ({removed} choice(s) removed)")


@main.group(help="Events (the case records).")
def events() -> None:
    pass


@events.command(
    "reassign",
    help="List open events lying in another grid than theirs (after grids changed); "
    "--apply moves them (logged and audited). A dry run by default.",
)
@click.option("--grid", "grids", multiple=True, help="only the events of, and around, these grids (repeatable)")
@click.option("--apply", "apply_", is_flag=True, help="move them (grid, community, township, county; not the assignee)")
def events_reassign(grids: tuple[str, ...], apply_: bool) -> None:
    from gisapp.db import make_session_factory, transaction, without_statement_timeout
    from gisapp.services.jurisdiction.reassign import reassign_events

    with transaction(make_session_factory(_engine())) as session:
        without_statement_timeout(session)  # every open event of a province may take a while
        moves = reassign_events(
            session,
            grid_codes=list(grids) or None,
            apply=apply_,
            key=_settings().audit_key() if apply_ else None,
            actor=_cli_actor() if apply_ else None,
        )
    for m in moves:
        click.echo(f"event {m.event}: {m.grid} -> {m.to or '(outside every grid: not moved)'}")
    placed = sum(m.to is not None for m in moves)
    click.echo(
        f"{placed} event(s) {'moved' if apply_ else 'would move'}"
        + (f", {len(moves) - placed} outside every grid" if len(moves) > placed else "")
    )


@main.group(help="The tamper-evident audit trail.")
def audit() -> None:
    pass


@audit.command("verify", help="Check the HMAC chain of the audit trail; exit 1 at the first broken record.")
def audit_verify() -> None:
    from gisapp.db import make_session_factory
    from gisapp.services.access.audit import verify

    with make_session_factory(_engine())() as session:
        result = verify(session, _settings().audit_key())
    if result.ok:
        click.echo(f"audit trail intact: {result.checked} record(s) verified")
        return
    click.echo(
        f"audit trail BROKEN at record {result.first_broken}: {result.reason} "
        f"({result.checked} record(s) before it verified)",
        err=True,
    )
    sys.exit(1)


@audit.command(
    "purge",
    help="Remove the audit records older than the retention period (GISAPP_AUDIT_RETENTION_DAYS, "
    "at least 180 days), leaving a checkpoint so the rest still verifies.",
)
@click.option("--days", type=int, default=None, help="retention in days (at least 180); default: the configured one")
def audit_purge(days: int | None) -> None:
    from gisapp.config import MIN_AUDIT_RETENTION_DAYS
    from gisapp.services.access.audit import purge

    retention = _settings().audit_retention_days if days is None else days
    if retention < MIN_AUDIT_RETENTION_DAYS:
        raise click.ClickException(f"audit records are kept at least {MIN_AUDIT_RETENTION_DAYS} days")
    purged = _audited_change(purge, retention_days=retention)
    click.echo(f"purged {purged} audit record(s) older than {retention} days")


@main.group(help="Camera coverage of key roads and key locations (7.1.3.2), kept up to date by triggers.")
def coverage() -> None:
    pass


@coverage.command("refresh", help="Recompute the stored coverage of every key road and key location from scratch.")
def coverage_refresh() -> None:
    import time

    from gisapp.db import make_session_factory, transaction, without_statement_timeout
    from gisapp.services.layers.coverage import refresh

    started = time.monotonic()
    with transaction(make_session_factory(_engine())) as session:
        without_statement_timeout(session)  # a province's roads take longer than a request
        counts = refresh(session)
    click.echo(
        f"coverage recomputed: {counts['key_roads']} key road(s), {counts['key_locations']} key location(s) "
        f"in {time.monotonic() - started:.1f} s"
    )


@main.group(help="The vector-tile cache (tile_cache; purged by triggers when a layer changes).")
def tiles() -> None:
    pass


@tiles.command(
    "clear",
    help="Delete cached tiles (all, or those stored before --older-than-hours): they are "
    "rebuilt on demand. Keeps the cache bounded; run it from cron.",
)
@click.option("--older-than-hours", type=float, default=None, help="only tiles stored more than this long ago")
def tiles_clear(older_than_hours: float | None) -> None:
    from gisapp.db import make_session_factory, transaction
    from gisapp.services.layers.tiles import clear_cache

    with transaction(make_session_factory(_engine())) as session:
        cleared = clear_cache(session, older_than_hours)
    click.echo(f"cleared {cleared} cached tile(s)")


@main.group(help="Integrations: systems that report events for citizens, each with its own API key.")
def integrations() -> None:
    pass


@integrations.command("create", help="Register an integration and print its API key (shown only once).")
@click.option("--code", required=True, help="3-64 lowercase letters, digits, '-' or '_'")
@click.option("--name", required=True)
@click.option("--county", required=True, help="the code of the county it serves")
@click.option(
    "--channel",
    "channels",
    multiple=True,
    required=True,
    help="a channel it may report on (patrol, public, hotline, video, referral); repeatable",
)
def integrations_create(code: str, name: str, county: str, channels: tuple[str, ...]) -> None:
    from gisapp.services.access.integrations import create_integration

    made, api_key = _audited_change(
        create_integration, code=code, name=name, county_code=county, channels=list(channels)
    )
    click.echo(f"created integration {made.code} ({made.county_code}; {', '.join(made.channels)})")
    click.echo(f"API key (shown only once, store it now): {api_key}")


@integrations.command("disable", help="Disable an integration: its API key stops working.")
@click.argument("code")
def integrations_disable(code: str) -> None:
    from gisapp.services.access.integrations import disable_integration

    _audited_change(disable_integration, code)
    click.echo(f"disabled integration {code}")


@integrations.command("list", help="List the integrations.")
def integrations_list() -> None:
    from gisapp.db import make_session_factory
    from gisapp.services.access.integrations import list_integrations

    with make_session_factory(_engine())() as session:
        rows = list_integrations(session)
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        click.echo(f"{r['code']:24} {r['county']:8} {','.join(r['channels']):32} {state:8} {r['name']}")


@main.group(help="Front-end assets (npm packages + static/, bundled by flask-assets).")
def assets() -> None:
    pass


@assets.command("build", help="Bundle the front-end assets into static/gen.")
def assets_build() -> None:
    from flask import Flask
    from flask_assets import Environment

    from gisapp.web import BUNDLES, register_assets

    app = Flask(__name__, static_folder=str(PROJECT_ROOT / "static"))
    env: Environment = register_assets(app)
    with app.app_context():
        for name in BUNDLES:
            env[name].build()
            click.echo(f"built {name}: {env[name].urls()[0]}")


@main.command("serve", help="Serve the app with gunicorn on http://127.0.0.1:5000.")
@click.option("--bind", default="127.0.0.1:5000", show_default=True)
@click.option("--workers", type=int, default=max(2, (os.cpu_count() or 1) * 2), show_default=True)
def serve(bind: str, workers: int) -> None:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # threads: a live-update stream (GET /api/v1/stream) holds a thread, not a whole worker
    argv = [
        str(gunicorn),
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--access-logfile",
        "-",
        "gisapp:create_app()",
    ]
    click.echo(f"serving on http://{bind}  (Ctrl-C stops)")
    os.execv(argv[0], argv)


@main.group(help="Map layers: import grids, key roads, key locations or cameras from a file; export any layer.")
def layers() -> None:
    pass


class _StageBars:
    """One click progress bar per stage of an import (validating, writing), fed by the job's progress."""

    def __init__(self):
        self.stage, self.bar, self.shown = None, None, 0

    def __call__(self, stage: str, processed: int, total: int) -> None:
        if stage == "reading":
            return
        if stage != self.stage:
            self.close()
            self.stage, self.shown = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=f"{stage:10}", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(processed - self.shown)
        self.shown = processed

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _only_county(session) -> str:
    from gisapp.services.jurisdiction.areas import county_codes

    codes = county_codes(session)
    if len(codes) != 1:
        raise click.UsageError(f"the database holds {len(codes)} counties: say which with --county")
    return codes[0]


def _print_job(job: dict) -> None:
    if job["status"] == "done":
        result = job["result"] or {}
        counts = ", ".join(f"{k} {v}" for k, v in result.items() if not isinstance(v, (list, dict)))
        click.echo(f"import job {job['id']} done: {counts}")
        if result.get("names_kept"):
            click.echo(f"  names kept (grid editing changes shapes, not names): {', '.join(result['names_kept'])}")
        for community, impact in result.get("impact", {}).items():
            moved, teams = impact["events_leaving_their_grid"], impact["teams_losing_their_grid"]
            click.echo(
                f"  community {community}: {len(moved)} open event(s) leave their grid, "
                f"{len(teams)} team(s) lose their grid"
            )
        return
    click.echo(f"import job {job['id']} failed: {job['problem_count']} problem(s), nothing was imported", err=True)
    for p in job["problems"]:
        where = f" at {json.dumps(p['where'])[:200]}" if p.get("where") else ""
        click.echo(f"  feature {p['index']} ({p['id']}): {p['check']}: {p['message']}{where}", err=True)


@layers.command(
    "import",
    help="Import a layer file (.geojson/.json, .gpkg, zipped Shapefile .zip, .csv) into the "
    "database: every feature checked, then all written or nothing. See docs/operations.md.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", required=True, type=click.Choice(["grids", "key-roads", "key-locations", "cameras"]))
@click.option(
    "--crs",
    default=None,
    help="the file's CRS when it names none (CSV, Shapefile without .prj) or for "
    "GCJ-02 / BD-09: EPSG:4326, EPSG:4490, EPSG:4513-4554, GCJ-02, BD-09",
)
@click.option("--county", default=None, help="the county code (default: the only county in the database)")
@click.option("--dry-run", is_flag=True, help="check and report, write nothing")
@click.option("--reason", default=None, help="kept with the grid versions (default: import of FILE)")
def layers_import(
    file: Path, layer: str, crs: str | None, county: str | None, dry_run: bool, reason: str | None
) -> None:
    from gisapp.db import make_session_factory
    from gisapp.errors import AppError
    from gisapp.services.layers.import_jobs import run_job, start_job
    from gisapp.services.layers.import_read import declared_crs

    factory, actor, data = make_session_factory(_engine()), _cli_actor(), file.read_bytes()
    try:
        with factory() as session, session.begin():
            job, created = start_job(
                session,
                actor.name,
                county or _only_county(session),
                layer,
                file.name,
                data,
                crs=declared_crs(crs),
                dry_run=dry_run,
            )
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    if not created:
        click.echo(
            f"this file is already {'being ' if job['status'] == 'running' else ''}imported: job {job['id']} "
            f"({job['status']}); nothing done"
        )
        return
    bars = _StageBars()
    try:
        job = run_job(
            factory,
            _settings().audit_key(),
            actor,
            job,
            data,
            reason=reason,
            echo=bars,
            min_area_m2=_settings().grid_min_area_m2,
        )
    finally:
        bars.close()
    _print_job(job)
    if job["status"] != "done":
        sys.exit(1)


@layers.command(
    "export",
    help="Write a layer to a file: GeoJSON, GeoPackage or zipped Shapefile, in EPSG:4326 or "
    "a requested CRS (EPSG:4490, EPSG:4534-4554, GCJ-02, BD-09); the whole county; audited.",
)
@click.argument(
    "layer",
    type=click.Choice(["townships", "communities", "grids", "key-roads", "key-locations", "cameras", "coverage-gaps"]),
)
@click.option("--format", "fmt", default="gpkg", show_default=True, type=click.Choice(["geojson", "gpkg", "shp"]))
@click.option("--crs", default=None, help="default EPSG:4326")
@click.option("--county", default=None, help="the county code (default: the only county in the database)")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="the file (default: the layer's name)")
def layers_export(layer: str, fmt: str, crs: str | None, county: str | None, out: Path | None) -> None:
    from gisapp.db import make_session_factory, transaction
    from gisapp.domain.security import Binding
    from gisapp.errors import AppError
    from gisapp.services.access.audit import record
    from gisapp.services.layers.export import export_layer, target_crs
    from gisapp.services.layers.features import area_filter, layer_geojson

    try:
        with transaction(make_session_factory(_engine())) as session:
            code = county or _only_county(session)
            data, filename, _ = export_layer(
                layer_geojson(session, layer, None, area_filter(Binding.COUNTY, code)),
                layer,
                fmt,
                target := target_crs(crs),
            )
            record(
                session,
                _settings().audit_key(),
                _cli_actor(),
                "layer.export",
                target=f"layer:{layer}",
                details={"format": fmt, "crs": str(target), "bytes": len(data), "county": code},
            )
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from None
    path = out or Path(filename)
    path.write_bytes(data)
    click.echo(f"{path}: {len(data)} bytes")
