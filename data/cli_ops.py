"""Flask CLI commands for operations: backup, restore and the privacy log's purge."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from data.db import get_db


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(dest: str) -> None:
    """Write a consistent backup of the SQLite database and the file store to DEST (may run while serving)."""
    from data.backup import BackupError, backup

    try:
        manifest = backup(get_db().engine, current_app.config["FILE_STORE_PATH"], dest)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Sikkerhedskopi skrevet til {dest}: {sum(manifest['rows'].values())} rækker, "
               f"{manifest['files']} filer.")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@with_appcontext
def restore_command(src: str) -> None:
    """Restore a backup from SRC into this instance; refuses unless the instance is empty."""
    from data.backup import BackupError, restore

    try:
        result = restore(get_db().engine, current_app.config["FILE_STORE_PATH"], src)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Sikkerhedskopien er indlæst: {sum(result['rows'].values())} rækker, {result['files']} filer.")


@click.command("purge-privacy-log")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Behold så mange dage (standard: PRIVACY_LOG_RETENTION_DAYS).")
@with_appcontext
def purge_privacy_log_command(days: int | None) -> None:
    """Delete privacy log entries older than the retention period."""
    from data.privacy import purge, retention_days

    kept = days or retention_days()
    removed = purge(days=kept)
    click.echo(f"Persondataloggen er ryddet: {removed} registreringer ældre end {kept} dage er slettet.")


def init_app(app: Flask) -> None:
    """Register the operations commands on `app`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(purge_privacy_log_command)
