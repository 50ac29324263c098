"""master data editing: version, updated_at/by on customer, units and team; server/database name on løngrupper

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-06 12:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def _lock_columns(table: str, with_updated_at: bool) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        if with_updated_at:
            batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=200), server_default='', nullable=False))


def upgrade() -> None:
    # customer already has updated_at.
    _lock_columns('customer', with_updated_at=False)
    _lock_columns('accounting_unit', with_updated_at=True)
    _lock_columns('team_member', with_updated_at=True)
    with op.batch_alter_table('payroll_group', schema=None) as batch_op:
        batch_op.add_column(sa.Column('server_name', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('database_name', sa.String(length=100), server_default='', nullable=False))
    _lock_columns('payroll_group', with_updated_at=True)


def downgrade() -> None:
    with op.batch_alter_table('payroll_group', schema=None) as batch_op:
        for column in ('updated_by', 'updated_at', 'version', 'database_name', 'server_name'):
            batch_op.drop_column(column)
    for table in ('team_member', 'accounting_unit'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in ('updated_by', 'updated_at', 'version'):
                batch_op.drop_column(column)
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('updated_by')
        batch_op.drop_column('version')
