"""The contact-role catalogue of the user guide ("Roller i Kundeportalen") and how it reaches the DB.

Names and descriptions are the guide's own words, with one dash style (–) and its typo
"Afreportering" corrected (migration 0019 renames the stored roles). Twelve roles are assigned by the customer;
three only by SA, and those three also decide on which Stamdata tabs the contact is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.topics import Topic
from data.models import ContactRole

# Stamdata tab keys (the same keys pages/stamdata.py uses) and their Danish labels.
TAB_GENERELT = "generelt"
TAB_REGNSKAB = "regnskab"
TAB_LOEN = "loen"
TAB_LABELS: dict[str, str] = {TAB_GENERELT: "Generelt", TAB_REGNSKAB: "Regnskab", TAB_LOEN: "Løn"}


@dataclass(frozen=True)
class RoleSpec:
    """One role of the catalogue as the guide describes it."""

    name: str
    description: str
    sa_only: bool = False
    personal_data: bool = False
    tabs: tuple[str, ...] = ()
    # The notification topics whose mails the role's contact persons get (see role_topics' reasons).
    topics: tuple[Topic, ...] = ()


CATALOGUE: tuple[RoleSpec, ...] = (
    RoleSpec(
        "Deltager – Forum for lønansvarlige",
        "Brugere der tildeles denne rolle modtager indkaldelse til Forum for lønansvarlige i staten.",
    ),
    RoleSpec(
        "Deltager – Forum for regnskabschefer",
        "Brugere der tildeles denne rolle modtager indkaldelse til Forum for statslige regnskabschefer.",
    ),
    RoleSpec(
        "Deltager – Forum for RPA",
        "Denne rolle anvendes for deltagere i Forum for RPA samt informationer om udvikling og drift af "
        "kontorrobotter (RPA – Robotic Process Automation) fra Statens Administration.",
    ),
    RoleSpec(
        "Kontaktperson – Sikkerhedshændelse (DPO)",
        "Denne rolle benyttes til at angive, hvem der skal kontaktes i forbindelse med eventuelle sikkerhedshændelser.",
    ),
    RoleSpec(
        "Kontaktperson – Uddata",
        "Rolle benyttes til at angive mailadresse, hvortil uddata skal fremsendes. Det er vigtigt, man sørger for, "
        "at det er en sikker e-mail, da uddata indeholder personfølsomme oplysninger.",
        personal_data=True,
    ),
    RoleSpec(
        "Kvitteringsmail – Lønportalen",
        "Rolle benyttes til at angive mailadresse, hvortil kvitteringsmails fra Lønportalen skal fremsendes. Det er "
        "vigtigt, man sørger for, at det er en sikker e-mail, da kvitteringsmails indeholder personfølsomme oplysninger.",
        personal_data=True,
    ),
    RoleSpec(
        "Kontaktperson – Løn",
        "Denne rolle dækker personer, der er ansvarlige for daglige løn opgaver.",
        topics=(Topic.ACTIONS, Topic.RUNBOOKS),
    ),
    RoleSpec(
        "Kontaktperson – Regnskab",
        "Denne rolle anvendes til personer, der håndterer daglige regnskabsopgaver.",
        topics=(Topic.ACTIONS, Topic.RUNBOOKS),
    ),
    RoleSpec(
        "Kontaktperson – Refusion",
        "Denne rolle bruges til at sikre, at Statens Administration har korrekte kontaktoplysninger og en sikker "
        "e-mailadresse til brug i forbindelse med refusionssager.",
        personal_data=True,
    ),
    RoleSpec(
        "Afrapportering Løn",
        "Denne rolle bruges til at angive, hvem de to månedlige afrapporteringer i løn skal sendes til.",
    ),
    RoleSpec(
        "Afstemning Løn",
        "Denne rolle bruges til at angive, hvem der skal kontaktes i forbindelse med spørgsmål vedrørende afstemning "
        "af beholdningskonti på lønområdet.",
    ),
    RoleSpec(
        "Fejlindlæsning af lønposter",
        "Denne rolle bruges til at angive, hvem der skal kontaktes i forbindelse med spørgsmål vedrørende "
        "fejlindlæsning af lønposter.",
    ),
    RoleSpec(
        "Deltager – Kundeforum",
        "Denne rolle anvendes for deltagere i Kundeforum, som er sammensat af deltagere fra departementerne på "
        "chefniveau.",
        sa_only=True,
        tabs=(TAB_GENERELT,),
        topics=(Topic.MEETINGS, Topic.AGREEMENTS),
    ),
    RoleSpec(
        "Primær lønkontakt",
        "Denne rolle indikerer modtagere af fx kundetilfredshedsundersøgelser, kundefølgere, driftsinformationer, "
        "informationer vedr. årsafslutning.",
        sa_only=True,
        tabs=(TAB_GENERELT, TAB_LOEN),
        topics=(Topic.MEETINGS, Topic.ACTIONS, Topic.RUNBOOKS),
    ),
    RoleSpec(
        "Primær regnskabskontakt",
        "Denne rolle indikerer modtagere af fx kundetilfredshedsundersøgelser, kundeaftaler, driftsinformationer, "
        "informationer vedr. årsafslutning.",
        sa_only=True,
        tabs=(TAB_GENERELT, TAB_REGNSKAB),
        topics=(Topic.AGREEMENTS, Topic.MEETINGS, Topic.ACTIONS, Topic.RUNBOOKS),
    ),
)

# Which contact persons are told of what SA publishes, read from the guide's role descriptions:
# - the primary contacts receive "driftsinformationer" (meetings, action items, runbooks); the
#   accounting contact also "kundeaftaler", the payroll contact's description does not name them;
# - Kundeforum's participants sit at "chefniveau": agreements and the meetings' papers, not daily operations;
# - Kontaktperson – Løn / – Regnskab handle the "daglige" tasks: action items and runbooks;
# - the forums, the DPO, uddata, kvitteringsmails, refusion and the payroll reconciliation roles are
#   addresses for one purpose each (several of them personal data mailboxes): no news.
def role_topics() -> dict[str, frozenset[Topic]]:
    """Return each role's name with the notification topics its contact persons are told of."""
    return {spec.name: frozenset(spec.topics) for spec in CATALOGUE}


def roles_for_topic(topic: Topic) -> frozenset[str]:
    """Return the names of the roles whose contact persons are told of `topic`."""
    return frozenset(spec.name for spec in CATALOGUE if Topic(topic) in spec.topics)


def suggested_tab(role_name: str) -> str:
    """Return the Stamdata tab a new contact with this customer role obviously belongs on."""
    # From the role's own words: payroll roles (løn, Lønportalen, lønposter) on Løn, accounting roles on
    # Regnskab, the rest (DPO, RPA, refusion) on Generelt. Only a suggestion for a new contact: the user
    # may change it before saving, and SA-only roles decide their tabs themselves.
    words = role_name.casefold()
    if "løn" in words:
        return TAB_LOEN
    if "regnskab" in words:
        return TAB_REGNSKAB
    return TAB_GENERELT


PERSONAL_DATA_WARNING = (
    "Rollen sender personfølsomme oplysninger til kontaktpersonen. Sørg for, at e-mailadressen er en sikker "
    "postkasse."
)


def ensure_role_catalogue(session: Session) -> list[ContactRole]:
    """Create or update the catalogue's roles in the database (idempotent) and return them in order."""
    # Matches roles by name; descriptions, flags, tabs and order follow the catalogue. Commits
    # nothing: the caller owns the transaction (the demo seeder, `init-db`, tests).
    existing = {role.name: role for role in session.scalars(select(ContactRole))}
    roles: list[ContactRole] = []
    for order, spec in enumerate(CATALOGUE, start=1):
        role = existing.get(spec.name)
        if role is None:
            role = ContactRole(name=spec.name)
            session.add(role)
        role.description = spec.description
        role.sa_only = spec.sa_only
        role.personal_data = spec.personal_data
        role.tabs = list(spec.tabs)
        role.sort_order = order
        roles.append(role)
    session.flush()
    return roles


def assigned_by(sa_only: bool) -> str:
    """Return who assigns a role (SA-only or not), in Danish."""
    if sa_only:
        return "Systemadministrator i Statens Administration"
    return "Brugere med rettigheden Administrator eller Rediger"


def tab_labels(keys: list[str] | tuple[str, ...]) -> list[str]:
    """Return the Danish labels of Stamdata tab keys, in tab order, ignoring unknown keys."""
    return [label for key, label in TAB_LABELS.items() if key in set(keys)]
