"""The `havehus` command (also `flask --app havehus ...`)."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from havehus import maintenance
from havehus.attendance.invariants import visit_drift
from havehus.config import ConfigError, current_settings
from havehus.errors import HavehusError
from havehus.extensions import db
from havehus.signup.invariants import seat_drift
from havehus.timeutil import house_tz, utcnow

if TYPE_CHECKING:
    from havehus.reports.imports import ImportResult


def _parse_instant(value: str) -> datetime:
    """An ISO date-time; without an offset it is read as the house's local time."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not an ISO date-time: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=house_tz())
    return moment.astimezone(UTC)


def _log_to_terminal() -> None:
    """Show havehus's own log lines (texts sent by the console backend, job results): JSON
    lines in production, readable text otherwise; masked and with request ids (havehus.logs)."""
    from havehus import logs

    logs.configure(json=current_settings().production)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the web app (development server).

    Production runs gunicorn: gunicorn 'havehus:create_app()'.
    """
    from werkzeug.serving import run_simple

    _log_to_terminal()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    run_simple(host, port, app, use_reloader=False, threaded=True)


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is due, then exit.")
@click.option("--at", "at", help="Act as if it were this instant (ISO date-time).")
@with_appcontext
def worker_command(once: bool, at: str | None) -> None:
    """Run the scheduler: due texts, the horizon."""
    from havehus import worker

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if at and not once:
        raise click.UsageError("--at only makes sense with --once")
    _log_to_terminal()
    if once:
        result = worker.run_once(app, _parse_instant(at) if at else None)
        for job, counts in result.items():
            click.echo(f"{job}: " + ", ".join(f"{key}={value}" for key, value in counts.items()))
        return
    worker.run_forever(app)


@click.command("run")
@click.option("--port", default=5000, show_default=True, type=int)
def run_command(port: int) -> None:
    """Start web app and worker (development).

    Ctrl-C stops both.
    """
    base = [sys.executable, "-m", "havehus"]
    worker = subprocess.Popen([*base, "worker"])
    web = subprocess.Popen([*base, "serve", "--port", str(port)])
    click.echo(f"havehus is running on http://127.0.0.1:{port} — press Ctrl-C to stop.")

    def stop(*_args: Any) -> None:
        for process in (web, worker):
            if process.poll() is None:
                process.terminate()

    # Explicit handlers: a shell may start us with SIGINT ignored (background jobs).
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while web.poll() is None and worker.poll() is None:
            try:
                web.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                continue
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for process in (web, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    click.echo("havehus stopped.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Seed the demo house (idempotent).

    Activities, people and 12 past weeks of attendance; staff passwords are printed once.
    """
    from havehus.demo import seed_demo

    result = seed_demo(db.session, utcnow(), house_tz(), current_settings())
    db.session.commit()
    if result.created:
        click.echo("Demo data created.")
        for email, role, password in result.credentials:
            click.echo(f"  {role:8} {email}  password: {password}")
        click.echo("These passwords are shown only once.")
    else:
        click.echo("Demo data exists already; nothing changed.")
    if result.sessions_created:
        click.echo(f"Sessions added up to the horizon: {result.sessions_created}")


@click.command("create-user")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "manager", "host", "partner", "translator"]),
)
@click.option("--name", default="", help="The name shown to colleagues.")
@click.option("--translates", help="A translator's language, e.g. ar (translators only).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(
    email: str, role: str, name: str, translates: str | None, password_stdin: bool
) -> None:
    """Create a staff user.

    Asks for the password unless --password-stdin is given.
    """
    from havehus.people.services import create_staff_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        raise click.UsageError("No terminal to ask for a password: use --password-stdin.")
    try:
        user = create_staff_user(
            db.session, email, role, password, utcnow(), name=name, translates=translates
        )
    except HavehusError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@click.command("create-token")
@click.option("--name", required=True, help="Who uses it, e.g. 'Social Sundhed'.")
@click.option("--role", required=True, type=click.Choice(["admin", "manager", "host", "partner"]))
@with_appcontext
def create_token_command(name: str, role: str) -> None:
    """Create an API token (prints only the token).

    The token is shown once; only its hash is kept. Revoke it in /staff/tokens.
    """
    from havehus.people.audit import CLI
    from havehus.people.credentials import create_api_token

    try:
        _token, raw = create_api_token(db.session, name, role, utcnow(), CLI)
    except HavehusError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(raw)


@click.command("expand")
@click.option("--weeks", type=click.IntRange(1, 156), help="Weeks ahead (default: configured).")
@with_appcontext
def expand_command(weeks: int | None) -> None:
    """Extend sessions to N weeks ahead.

    Creates the missing sessions of recurring activities; never deletes.
    """
    from havehus.program.services import expand_horizon

    weeks = weeks or current_settings().horizon_weeks
    created = expand_horizon(db.session, weeks, utcnow(), house_tz())
    db.session.commit()
    click.echo(f"Sessions created: {created} (horizon {weeks} weeks)")


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Report counters and visits that drift from bookings.

    Exits 1 on drift. Each session's seat counter (and each course's place counter) must
    equal its confirmed, offered, attended and no-show bookings (with their guests), and a
    session booking is "attended" exactly when its person has a visit to the session.
    """
    drift = [*seat_drift(db.session), *visit_drift(db.session)]
    if drift:
        for item in drift:
            click.echo(f"drift: {item}")
        raise SystemExit(1)
    click.echo("Seat counters and visits agree with the bookings.")


def _local_date(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from None


@click.command("report")
@click.option("--from", "first", required=True, callback=_local_date, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", required=True, callback=_local_date, help="Last day (inclusive).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv")
@click.option("--by", type=click.Choice(["activity", "category", "department", "month"]))
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write.")
@with_appcontext
def report_command(first: date, last: date, fmt: str, by: str | None, output: str | None) -> None:
    """Print the indicators of a period, small groups as <5.

    One row per group (with --by), then the total; definitions in docs/indicators.md.
    """
    from havehus.reports import export
    from havehus.reports.indicators import By, report

    if last < first:
        raise click.BadParameter("--to is before --from")
    rows = report(db.session, first, last, house_tz(), utcnow(), by=cast(By | None, by))
    table = export.suppressed(rows)
    if fmt == "xlsx":
        if output is None:
            raise click.UsageError("XLSX needs --output FILE.")
        Path(output).write_bytes(export.to_xlsx(table, f"{first}–{last}"))
        return
    text = export.to_csv(table) if fmt == "csv" else export.to_json(table)
    if output is None:
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")


def _local(moment: datetime) -> str:
    return moment.astimezone(house_tz()).strftime("%Y-%m-%d %H:%M %Z")


@click.command("backup")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="File to write (default: a dated file in the backup folder).",
)
@with_appcontext
def backup_command(output: str | None) -> None:
    """Back up the database into one file; prints its path.

    Safe while web and worker run (SQLite's online backup; pg_dump for PostgreSQL).
    """
    from havehus.operations import backup

    config = current_settings()
    if output is None:
        folder = backup.backup_folder(config.backup_dir, current_app.instance_path) or Path(
            current_app.instance_path
        )
        target = folder / backup.nightly_name(utcnow(), db.engine.dialect.name)
    else:
        target = Path(output)
    try:
        made = backup.take_backup(db.session, target, utcnow(), pg_bindir=config.pg_bindir)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    assert made is not None  # only a nightly backup can find its night taken
    click.echo(str(made.path))


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Really replace the database with the backup.")
@with_appcontext
def restore_command(file: str, yes: bool) -> None:
    """Put a backup in the database's place.

    Put the web in maintenance (havehus maintenance on) and stop the workers first. Texts not
    known to be sent are looked up at the provider before any is sent; opt-outs received since
    the backup are applied again.
    """
    from havehus.messaging import optout_log
    from havehus.operations import backup

    pg_bindir = current_settings().pg_bindir
    try:
        found = backup.read_backup(Path(file), pg_bindir)
        plan = backup.plan_restore(db.session, found)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    if found.taken_at is not None:
        click.echo(f"The backup {file} was taken at {_local(found.taken_at)}.")
    else:
        click.echo(f"The backup {file} does not say when it was taken (an older backup).")
    if plan.bookings_since is not None:
        click.echo(
            "Restoring it loses everything done since then, among it "
            f"{plan.bookings_since} booking(s) made after the backup."
        )
    else:
        click.echo("Restoring it loses everything done since the backup was taken.")
    if plan.migrates:
        click.echo(f"Its schema ({found.revision}) is older; it is migrated forward.")
    if not yes:
        click.echo("Nothing was changed. Run again with --yes to restore.", err=True)
        raise SystemExit(1)
    instance = current_app.instance_path
    # Web and worker should be stopped; if one is not, it stands still meanwhile.
    began = maintenance.turn_on(instance, utcnow(), "restore")
    if began:
        click.echo("The web is in maintenance and the workers wait while the backup goes back.")
    try:
        result = backup.restore(
            db.session,
            plan,
            utcnow(),
            opt_out_log=optout_log.log_path(current_settings()),
            pg_bindir=pg_bindir,
            settings=current_settings(),
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if began:
            maintenance.turn_off(instance)
    if not began:
        click.echo("The web stays in maintenance: `havehus maintenance off` when you are done.")
    click.echo(
        f"Restored. Texts to look up at the provider before sending: "
        f"{result.texts_to_reconcile}; opt-outs applied again: {result.opt_outs_reapplied}; "
        f"people erased again: {result.erasures_reapplied}; "
        f"program version now {result.program_version}."
    )


@click.command("maintenance")
@click.argument("state", type=click.Choice(["on", "off", "status"]))
@click.option("--reason", default="", help="For the operators: why (shown by `status`).")
@with_appcontext
def maintenance_command(state: str, reason: str) -> None:
    """Put the web in maintenance, end it, or say whether it is.

    In maintenance every page answers 503 with a friendly page (Retry-After), /healthz says
    "maintenance" and workers send nothing. The flag is the file maintenance.json in the
    instance folder, seen at once by every web process and worker that shares it.
    """
    instance = current_app.instance_path
    if state == "on":
        changed = maintenance.turn_on(instance, utcnow(), reason)
        click.echo("The web is in maintenance." if changed else "Already in maintenance.")
    elif state == "off":
        changed = maintenance.turn_off(instance)
        click.echo("Maintenance ended." if changed else "The web was not in maintenance.")
    else:
        found = maintenance.current(instance)
        if found is None:
            click.echo("Not in maintenance.")
            return
        since = _local(found.since) if found.since else "an unknown time"
        click.echo(f"In maintenance since {since}" + (f": {found.reason}" if found.reason else "."))


def _print_import(result: ImportResult) -> None:
    """An import's outcome: every bad row with its line number (exit 1), or what it did."""
    from flask_babel import gettext as _

    if result.errors:
        for error in result.errors:
            if error.line is None:
                click.echo(_("The file: %(message)s", message=error.message), err=True)
            else:
                click.echo(
                    _("Line %(line)d: %(message)s", line=error.line, message=error.message),
                    err=True,
                )
        click.echo(_("Nothing was imported."), err=True)
        raise SystemExit(1)
    for line in result.summary():
        click.echo(line)


def _import_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None


@click.command("import-departments")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def import_departments_command(file: str) -> None:
    """Import residents per housing department and year.

    Header: department,year,residents_18_plus,residents_65_plus,source. A year imported
    again replaces its figures; nothing is imported when any row is bad.
    """
    from havehus.people.audit import CLI
    from havehus.reports.imports import import_departments

    result = import_departments(db.session, _import_file(file), utcnow(), CLI)
    if result.errors:
        db.session.rollback()
    else:
        db.session.commit()
    _print_import(result)


@click.command("import-attendance")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def import_attendance_command(file: str) -> None:
    """Import who came before havehus, from the old lists.

    Named visits and anonymous counts per activity and day.

    Header: date,activity,department,participant,anonymous (docs/indicators.md). Names are
    kept only as a keyed hash; nothing is imported when any row is bad; the same file twice
    changes nothing.
    """
    from havehus.people.audit import CLI
    from havehus.reports.imports import import_attendance

    result = import_attendance(
        db.session,
        _import_file(file),
        utcnow(),
        CLI,
        tz=house_tz(),
        secret=current_settings().secret_key,
    )
    if result.errors:
        db.session.rollback()
    else:
        db.session.commit()
    _print_import(result)


@click.command("translations-export")
@click.option(
    "--locales",
    "folder",
    type=click.Path(file_okay=False, exists=True),
    help="The catalogues' folder (default: the checkout's locales/).",
)
@with_appcontext
def translations_export_command(folder: str | None) -> None:
    """Write the translators' accepted corrections into the .po files (then: make i18n)."""
    from havehus.paths import LOCALES_DIR
    from havehus.translations.overrides import export_to_catalogues

    changed = export_to_catalogues(db.session, Path(folder) if folder else LOCALES_DIR)
    if not changed:
        click.echo("No accepted corrections.")
    for language, count in sorted(changed.items()):
        click.echo(f"{language}: {count} text(s) written")


@click.command("retention-table")
@with_appcontext
def retention_table_command() -> None:
    """Print the retention table of docs/privacy.md from this installation's settings."""
    from havehus.people.retention import retention_table

    click.echo(retention_table(current_settings()), nl=False)


COMMANDS = (
    serve_command,
    worker_command,
    run_command,
    demo_command,
    create_user_command,
    create_token_command,
    expand_command,
    check_command,
    report_command,
    backup_command,
    restore_command,
    maintenance_command,
    import_departments_command,
    import_attendance_command,
    translations_export_command,
    retention_table_command,
)


def register(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _create_app_for_cli() -> Flask:
    from havehus import create_app

    try:
        return create_app()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def main() -> None:
    """Entry point of the `havehus` console script."""
    cli = FlaskGroup(
        name="havehus",
        help="havehus: the activity program of a community house.",
        create_app=_create_app_for_cli,
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=False,
        set_debug_flag=False,
    )
    cli.add_command(shell_command)
    cli.add_command(routes_command)
    cli.main(prog_name="havehus")
