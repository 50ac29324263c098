"""cases: the open-case index also holds the unit, so a unit filter is answered from the index alone

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-06 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None

OLD = ['cvr', 'completed_at', 'goal_id', 'received_at']
NEW = ['cvr', 'completed_at', 'goal_id', 'unit_code', 'received_at']


def _create(columns: list[str]) -> None:
    op.create_index('ix_case_open', 'case_', columns, unique=False,
                    sqlite_where=sa.text('completed_at IS NULL'), postgresql_where=sa.text('completed_at IS NULL'))


def upgrade() -> None:
    op.drop_index('ix_case_open', table_name='case_')
    _create(NEW)


def downgrade() -> None:
    op.drop_index('ix_case_open', table_name='case_')
    _create(OLD)
