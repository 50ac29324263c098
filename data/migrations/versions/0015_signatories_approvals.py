"""signatories linked to accounts, SA's own signatories, and electronic approval of agreements (hash chain)

Revision ID: 0015
Revises: 0019
Create Date: 2026-12-06 13:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('signatory', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('row_version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_signatory_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_signatory_user_id_user_account'), 'user_account', ['user_id'],
                                    ['id'])
    op.create_table(
        'sa_signatory',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_kind', sa.String(length=30), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('b_number', sa.String(length=20), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('row_version', sa.Integer(), server_default='1', nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_by', sa.String(length=200), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_sa_signatory_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sa_signatory')),
        sa.UniqueConstraint('agreement_kind', name=op.f('uq_sa_signatory_agreement_kind')),
    )
    with op.batch_alter_table('sa_signatory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sa_signatory_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approval_pdf_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sealed_file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agreement_sealed_file_id_stored_file'), 'stored_file',
                                    ['sealed_file_id'], ['id'])
    op.create_table(
        'approval_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cvr', sa.String(length=8), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('agreement_kind', sa.String(length=30), nullable=False),
        sa.Column('agreement_version', sa.String(length=20), nullable=False),
        sa.Column('party', sa.String(length=10), nullable=False),
        sa.Column('signer_user_id', sa.Integer(), nullable=False),
        sa.Column('signer_name', sa.String(length=200), nullable=False),
        sa.Column('signer_b_number', sa.String(length=20), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('client_address', sa.String(length=45), nullable=False),
        sa.Column('user_agent', sa.String(length=500), nullable=False),
        sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('event_hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_approval_event_agreement_id_agreement')),
        sa.ForeignKeyConstraint(['cvr'], ['customer.cvr'], name=op.f('fk_approval_event_cvr_customer')),
        sa.ForeignKeyConstraint(['signer_user_id'], ['user_account.id'],
                                name=op.f('fk_approval_event_signer_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_event')),
        sa.UniqueConstraint('agreement_id', 'party', name='uq_approval_event_agreement_party'),
        sa.UniqueConstraint('event_hash', name=op.f('uq_approval_event_event_hash')),
        sa.UniqueConstraint('prev_hash', name=op.f('uq_approval_event_prev_hash')),
    )
    with op.batch_alter_table('approval_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_event_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_event_cvr'), ['cvr'], unique=False)


def downgrade() -> None:
    op.drop_table('approval_event')
    with op.batch_alter_table('agreement', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agreement_sealed_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_column('sealed_file_id')
        batch_op.drop_column('signed_at')
        batch_op.drop_column('approval_pdf_sha256')
        batch_op.drop_column('approval_requested_at')
    op.drop_table('sa_signatory')
    with op.batch_alter_table('signatory', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_signatory_user_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_signatory_user_id'))
        batch_op.drop_column('updated_by')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('row_version')
        batch_op.drop_column('user_id')
