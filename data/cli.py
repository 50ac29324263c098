"""Flask CLI commands: init-db, seed-demo, demo-accounts, set-password, reset-second-factor, verify-approvals, seal-certificate."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import with_appcontext

from data import migrate
from data.db import get_db, unscoped_session


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema with Alembic migrations and the role catalogue."""
    from data.roles_catalogue import ensure_role_catalogue

    migrate.upgrade(get_db().engine)
    with unscoped_session("init-db: reference data") as session:
        # The guide's contact roles are reference data every installation needs, demo or not.
        ensure_role_catalogue(session)
        session.commit()
    click.echo("Databasen er opdateret til seneste version.")


@click.command("seed-demo")
@with_appcontext
@click.option("--cases", default=None, type=click.IntRange(min=0), help="Antal sager (standard: en demo der indlæses på under et minut).")
@click.option("--if-empty", is_flag=True, help="Gør intet, hvis databasen allerede har kunder.")
def seed_demo_command(cases: int | None, if_empty: bool) -> None:
    """Load deterministic Danish demo data."""
    from data import demo

    migrate.upgrade(get_db().engine)
    with unscoped_session("seed-demo: every demo customer") as session:
        if if_empty and demo.has_customers(session):
            click.echo("Databasen har allerede data; demodata indlæses ikke.")
            return
        summary = demo.seed(session, cases=cases)
    click.echo(f"Demodata indlæst: {summary}")


@click.command("demo-accounts")
@with_appcontext
@click.option("--json", "as_json", is_flag=True, help="Skriv kontoerne som JSON.")
def demo_accounts_command(as_json: bool) -> None:
    """Print the demo accounts (refuses on a database not seeded as demo)."""
    from data import demo

    with unscoped_session("demo-accounts: every demo user's grants") as session:
        accounts = demo.demo_accounts(session)
    if accounts is None:
        raise click.ClickException("Databasen er ikke indlæst som demo; der er ingen demokontoer.")
    if as_json:
        click.echo(json.dumps(accounts, ensure_ascii=False, indent=2))
        return
    for account in accounts:
        grants = "; ".join(f"{cvr}: {', '.join(rights)}" for cvr, rights in account["grants"].items()) or "alle kunder"
        click.echo(f"{account['email']}\t{account['password']}\t{grants}")


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.option("--must-change", is_flag=True, help="Brugeren skal vælge en ny adgangskode ved næste login.")
def set_password_command(email: str, must_change: bool) -> None:
    """Set a user's password (asked twice, never on the command line) under the portal's password policy."""
    from sqlalchemy import select

    from core.passwords import hash_password, policy_errors
    from data.models import User, normalise_email, utcnow

    with unscoped_session("set-password: one user's own record") as session:
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"Der findes ingen bruger med e-mailadressen {email}.")
        password = click.prompt("Ny adgangskode", hide_input=True, confirmation_prompt="Gentag adgangskoden")
        errors = policy_errors(password, email=user.email, name=user.name)
        if errors:
            raise click.ClickException(" ".join(errors))
        user.password_hash = hash_password(password)
        user.must_change_password = must_change
        user.password_changed_at = utcnow()
        # Every session of the user ends, as after a change in the portal.
        user.session_version += 1
        session.commit()
    click.echo(f"Adgangskoden for {user.email} er ændret.")


@click.command("reset-second-factor")
@with_appcontext
@click.argument("email")
@click.option("--by", "actor_email", required=True, help="E-mailadressen på SA's systemadministrator, der nulstiller.")
def reset_second_factor_command(email: str, actor_email: str) -> None:
    """Reset a user's second factor (SA staff included), audited and mailed; only SA's system administrator may."""
    # Brugeradministration resets customers' users; SA staff hold no grant on a customer to be listed there.
    from sqlalchemy import select

    from data import second_factor
    from data.models import User, normalise_email

    with unscoped_session("reset-second-factor: one user's own record") as session:
        actor = session.scalar(select(User).where(User.email == normalise_email(actor_email)))
        if actor is None or not actor.is_active or not actor.is_sa_admin:
            raise click.ClickException("Kun Statens Administrations systemadministrator kan nulstille "
                                       "to-trinsbekræftelse (--by).")
        user = session.scalar(select(User).where(User.email == normalise_email(email)))
        if user is None:
            raise click.ClickException(f"Der findes ingen bruger med e-mailadressen {email}.")
        second_factor.reset(session, actor, user.id)
        session.commit()
    click.echo(f"To-trinsbekræftelse for {user.email} er nulstillet; brugeren er logget ud og har fået en mail. "
               "Ved næste login sættes den op igen.")


@click.command("verify-approvals")
@with_appcontext
def verify_approvals_command() -> None:
    """Check the approval hash chain and every sealed agreement PDF; exit 1 at the first broken link."""
    from data import approvals

    with unscoped_session("verifying every customer's approvals") as session:
        broken = approvals.verify_chain(session) or approvals.verify_sealed_files(session)
    if broken is not None:
        click.echo(f"Brudt: {broken.what} {broken.reason}.", err=True)
        raise SystemExit(1)
    click.echo("Godkendelseskæden og alle forseglede aftaler er intakte.")


@click.command("seal-certificate")
@with_appcontext
def seal_certificate_command() -> None:
    """Print SA's seal certificate (PEM, no key), to trust in `pyhanko sign validate --trust`."""
    from flask import current_app

    from data import seal

    if current_app.config.get("SEALING_DISABLED"):
        click.echo("Portalen kører uden segl (SEALING_DISABLED): der er intet segl-certifikat.", err=True)
        raise SystemExit(1)
    try:
        click.echo(seal.certificate_pem(seal.seal_key(current_app.config)), nl=False)
    except seal.SealError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(1) from None


def init_app(app: Flask) -> None:
    """Register the CLI commands on `app`."""
    app.cli.add_command(init_db_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(demo_accounts_command)
    app.cli.add_command(set_password_command)
    app.cli.add_command(reset_second_factor_command)
    from data.cli_ops import init_app as init_ops

    init_ops(app)
    app.cli.add_command(verify_approvals_command)
    app.cli.add_command(seal_certificate_command)
