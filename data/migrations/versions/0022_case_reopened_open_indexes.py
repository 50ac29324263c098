"""cases: explicit reopen count; partial indexes for open and reopened cases

Revision ID: 0022
Revises: 0015
Create Date: 2026-12-06 15:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case_', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reopened', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_case_open', 'case_', ['cvr', 'completed_at', 'goal_id', 'received_at'], unique=False,
                    sqlite_where=sa.text('completed_at IS NULL'), postgresql_where=sa.text('completed_at IS NULL'))
    op.create_index('ix_case_reopened', 'case_', ['cvr', 'completed_at'], unique=False,
                    sqlite_where=sa.text('reopened > 0'), postgresql_where=sa.text('reopened > 0'))


def downgrade() -> None:
    op.drop_index('ix_case_reopened', table_name='case_')
    op.drop_index('ix_case_open', table_name='case_')
    with op.batch_alter_table('case_', schema=None) as batch_op:
        batch_op.drop_column('reopened')
