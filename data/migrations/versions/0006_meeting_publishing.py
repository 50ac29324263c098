"""meetings published by SA: drafts, published and withdrawn documents, the meeting's version for stale forms

Revision ID: 0006
Revises: 0011
Create Date: 2026-12-06 12:30:00
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=200), server_default='', nullable=False))
    with op.batch_alter_table('meeting_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    # Every meeting and document customers could read before stays readable: they count as published now.
    now = dt.datetime.now(dt.timezone.utc)
    for table in ('meeting', 'meeting_document'):
        rows = sa.table(table, sa.column('published_at', sa.DateTime(timezone=True)))
        op.get_bind().execute(rows.update().values(published_at=now))


def downgrade() -> None:
    with op.batch_alter_table('meeting_document', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('published_at')
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('updated_by')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('version')
        batch_op.drop_column('published_at')
