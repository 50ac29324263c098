"""runbook versions get a change note (Drejebøger back-office: each save says why)

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-06 12:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('runbook_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_note', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('runbook_version', schema=None) as batch_op:
        batch_op.drop_column('change_note')
