"""consistency and navigation: role names in one dash style, the guide's typo corrected; each user's last customer and unit

Revision ID: 0019
Revises: 0014
Create Date: 2026-12-06 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0014'
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
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_cvr', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('last_unit', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('last_unit')
        batch_op.drop_column('last_cvr')
    _rename((new, old) for old, new in ROLE_NAMES)
