"""the privacy log: every view of a person's data (issue 15)

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-06 13:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=True),
    sa.Column('viewer_label', sa.String(length=254), nullable=False),
    sa.Column('cvr', sa.String(length=8), nullable=True),
    sa.Column('source', sa.String(length=120), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('person_name', sa.String(length=200), nullable=False),
    sa.Column('person_email', sa.String(length=254), nullable=False),
    sa.Column('search_text', sa.String(length=460), nullable=False),
    sa.Column('client_address', sa.String(length=45), server_default='', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_log'))
    )
    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_privacy_log_cvr'), ['cvr'], unique=False)
        batch_op.create_index('ix_privacy_log_entity', ['entity', 'entity_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('privacy_log', schema=None) as batch_op:
        batch_op.drop_index('ix_privacy_log_entity')
        batch_op.drop_index(batch_op.f('ix_privacy_log_cvr'))
        batch_op.drop_index(batch_op.f('ix_privacy_log_at'))
    op.drop_table('privacy_log')
