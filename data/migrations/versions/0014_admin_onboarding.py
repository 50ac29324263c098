"""administrator onboarding: a customer's request for its administrator, from the public page to the account

Revision ID: 0014
Revises: 0017
Create Date: 2026-12-06 13:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_address', sa.String(length=45), server_default='', nullable=False),
    sa.Column('institution', sa.String(length=200), nullable=False),
    sa.Column('requested_cvr', sa.String(length=8), nullable=False),
    sa.Column('applicant_name', sa.String(length=200), nullable=False),
    sa.Column('applicant_email', sa.String(length=254), nullable=False),
    sa.Column('confirm_token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('form_token_hash', sa.String(length=64), nullable=True),
    sa.Column('form_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('form_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=254), server_default='', nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('form_ministry_id', sa.Integer(), nullable=True),
    sa.Column('form_cvrs', sa.JSON(), nullable=True),
    sa.Column('form_name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('form_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('form_phone', sa.String(length=20), server_default='', nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('account_created_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['form_ministry_id'], ['ministry.id'],
                            name=op.f('fk_admin_application_form_ministry_id_ministry')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_admin_application_user_id_user_account'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_application')),
    sa.UniqueConstraint('confirm_token_hash', name=op.f('uq_admin_application_confirm_token_hash')),
    sa.UniqueConstraint('form_token_hash', name=op.f('uq_admin_application_form_token_hash'))
    )
    with op.batch_alter_table('admin_application', schema=None) as batch_op:
        batch_op.create_index('ix_admin_application_state_created', ['state', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_admin_application_requested_cvr'), ['requested_cvr'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('admin_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_admin_application_requested_cvr'))
        batch_op.drop_index('ix_admin_application_state_created')
    op.drop_table('admin_application')
