"""audit rows say where a change came from: the client address of the request

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-06 12:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_address', sa.String(length=45), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('client_address')
