"""agreement versions: drafts with sections, publishing, edit locks, end dates, annex revisions

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:02:39
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _edit_columns(batch_op) -> None:
    # Existing rows start at version 1, edited by nobody yet.
    batch_op.add_column(sa.Column('row_version', sa.Integer(), nullable=False, server_default='1'))
    batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    batch_op.add_column(sa.Column('updated_by', sa.String(length=200), nullable=False, server_default=''))


def _drop_edit_columns(batch_op) -> None:
    batch_op.drop_column('updated_by')
    batch_op.drop_column('updated_at')
    batch_op.drop_column('row_version')


def upgrade() -> None:
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sections', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('published_by', sa.String(length=200), nullable=False, server_default=''))
        _edit_columns(batch_op)
    # Every agreement that existed before drafts did is one the customers already read: published.
    op.execute(sa.text("UPDATE agreement SET published_at = CURRENT_TIMESTAMP WHERE published_at IS NULL"))

    for table in ('exemption', 'add_on', 'third_party_task'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            if table != 'exemption':  # an exemption ends on its expires_on
                batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))
            _edit_columns(batch_op)

    with op.batch_alter_table('annex', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('previous_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        _edit_columns(batch_op)
        batch_op.create_foreign_key(batch_op.f('fk_annex_previous_id_annex'), 'annex', ['previous_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('annex', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_annex_previous_id_annex'), type_='foreignkey')
        _drop_edit_columns(batch_op)
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('previous_id')
        batch_op.drop_column('revision')

    for table in ('third_party_task', 'add_on', 'exemption'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            _drop_edit_columns(batch_op)
            if table != 'exemption':
                batch_op.drop_column('end_date')

    # Drafts were never read by customers; without a published flag they would be.
    op.execute(sa.text("DELETE FROM annex WHERE agreement_id IN (SELECT id FROM agreement WHERE published_at IS NULL)"))
    op.execute(sa.text("DELETE FROM agreement WHERE published_at IS NULL"))
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        _drop_edit_columns(batch_op)
        batch_op.drop_column('published_by')
        batch_op.drop_column('published_at')
        batch_op.drop_column('sections')
