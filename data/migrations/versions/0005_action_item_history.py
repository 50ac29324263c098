"""action items: meeting link, optimistic-lock version, who changed them last; their change history

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 12:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_by', sa.String(length=254), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_action_item_meeting_id_meeting'), 'meeting', ['meeting_id'],
                                    ['id'])
    op.create_table('action_item_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_item_id', sa.Integer(), nullable=False),
    sa.Column('cvr', sa.String(length=8), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=254), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['action_item_id'], ['action_item.id'],
                            name=op.f('fk_action_item_history_action_item_id_action_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['cvr'], ['customer.cvr'], name=op.f('fk_action_item_history_cvr_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item_history'))
    )
    with op.batch_alter_table('action_item_history', schema=None) as batch_op:
        batch_op.create_index('ix_action_item_history_item_at', ['action_item_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_item_history_cvr'), ['cvr'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action_item_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_history_cvr'))
        batch_op.drop_index('ix_action_item_history_item_at')
    op.drop_table('action_item_history')
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_action_item_meeting_id_meeting'), type_='foreignkey')
        batch_op.drop_column('updated_by')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('version')
        batch_op.drop_column('meeting_id')
