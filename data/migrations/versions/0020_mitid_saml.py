"""MitID Erhverv through NemLog-in: linked identities, outstanding AuthnRequests and seen assertion ids (issue 13)

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-06 15:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mitid_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('person_uuid', sa.String(length=200), nullable=False),
    sa.Column('cvr', sa.String(length=8), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['cvr'], ['customer.cvr'], name=op.f('fk_mitid_link_cvr_customer')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_mitid_link_user_id_user_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mitid_link')),
    sa.UniqueConstraint('person_uuid', name=op.f('uq_mitid_link_person_uuid'))
    )
    with op.batch_alter_table('mitid_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mitid_link_cvr'), ['cvr'], unique=False)
        batch_op.create_index(batch_op.f('ix_mitid_link_user_id'), ['user_id'], unique=False)
    op.create_table('saml_request',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_url', sa.String(length=500), nullable=False),
    sa.Column('browser_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saml_request'))
    )
    with op.batch_alter_table('saml_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saml_request_expires_at'), ['expires_at'], unique=False)
    op.create_table('saml_seen_assertion',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saml_seen_assertion'))
    )
    with op.batch_alter_table('saml_seen_assertion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saml_seen_assertion_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('saml_seen_assertion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saml_seen_assertion_expires_at'))
    op.drop_table('saml_seen_assertion')
    with op.batch_alter_table('saml_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saml_request_expires_at'))
    op.drop_table('saml_request')
    with op.batch_alter_table('mitid_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mitid_link_user_id'))
        batch_op.drop_index(batch_op.f('ix_mitid_link_cvr'))
    op.drop_table('mitid_link')
