"""user version for Brugeradministration's stale-form check; e-mail addresses stored in lower case

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 14:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    # Lower-cased in Python: SQL lower() leaves non-ASCII letters (Æ, Ø, Å) alone on SQLite.
    conn = op.get_bind()
    users = sa.table('user_account', sa.column('id', sa.Integer), sa.column('email', sa.String))
    rows = conn.execute(sa.select(users.c.id, users.c.email)).all()
    seen: dict[str, int] = {}
    for user_id, email in rows:
        folded = email.strip().lower()
        if folded in seen:
            raise RuntimeError(f"brugerne {seen[folded]} og {user_id} har samme e-mailadresse ({folded}); "
                               "læg dem sammen, før databasen opgraderes")
        seen[folded] = user_id
    for user_id, email in rows:
        folded = email.strip().lower()
        if folded != email:
            conn.execute(users.update().where(users.c.id == user_id).values(email=folded))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('version')
