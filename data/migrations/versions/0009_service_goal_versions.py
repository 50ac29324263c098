"""service goal versions: a catalogue change applies from its month and never rewrites reported months

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 12:30:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_goal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=254), server_default='', nullable=False))
    op.create_table('service_goal_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('rule_text', sa.Text(), nullable=False),
    sa.Column('rule_kind', sa.String(length=20), nullable=False),
    sa.Column('rule_value', sa.Integer(), nullable=False),
    sa.Column('target_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['goal_id'], ['service_goal.id'], name=op.f('fk_service_goal_version_goal_id_service_goal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_goal_version')),
    sa.UniqueConstraint('goal_id', 'valid_from', name='uq_service_goal_version_goal_month')
    )
    with op.batch_alter_table('service_goal_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_goal_version_goal_id'), ['goal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_goal_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_goal_version_goal_id'))
    op.drop_table('service_goal_version')
    with op.batch_alter_table('service_goal', schema=None) as batch_op:
        batch_op.drop_column('updated_by')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('version')
