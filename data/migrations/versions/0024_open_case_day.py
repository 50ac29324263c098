"""cases: open cases counted per customer, goal, unit and day of receipt (what the pages' open counts read)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 23:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open_case_day',
    sa.Column('cvr', sa.String(length=8), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sa.String(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('open_cases', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cvr'], ['customer.cvr'], name=op.f('fk_open_case_day_cvr_customer')),
    sa.ForeignKeyConstraint(['goal_id'], ['service_goal.id'], name=op.f('fk_open_case_day_goal_id_service_goal')),
    sa.PrimaryKeyConstraint('cvr', 'goal_id', 'unit_code', 'received_on', name=op.f('pk_open_case_day'))
    )
    # The counts of the cases already stored: date() is the day of a timestamp on SQLite and PostgreSQL alike.
    op.execute(
        "INSERT INTO open_case_day (cvr, goal_id, unit_code, received_on, open_cases) "
        "SELECT cvr, goal_id, unit_code, date(received_at), count(*) FROM case_ WHERE completed_at IS NULL "
        "GROUP BY cvr, goal_id, unit_code, date(received_at)"
    )


def downgrade() -> None:
    op.drop_table('open_case_day')
