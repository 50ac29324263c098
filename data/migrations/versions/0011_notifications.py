"""notifications: mail_outbox becomes a queue, announcements are notified once, preferences, start-page visits

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-06 12:30:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_announcement_notified_at'), ['notified_at'], unique=False)
    # What was announced before the sender existed is not mailed now, months late.
    op.execute("UPDATE announcement SET notified_at = created_at")

    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='direct', nullable=False))
        batch_op.add_column(sa.Column('body_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('body_html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('announcement_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_mail_outbox_announcement_id_announcement'), 'announcement',
                                    ['announcement_id'], ['id'], ondelete='SET NULL')
        batch_op.create_unique_constraint('uq_mail_outbox_announcement_recipient', ['announcement_id', 'recipient'])
        batch_op.create_index('ix_mail_outbox_status_next', ['status', 'next_attempt_at'], unique=False)
    # The mails sent before the queue were all sent by the request itself.
    op.execute("UPDATE mail_outbox SET status = CASE WHEN sent_at IS NULL THEN 'failed' ELSE 'sent' END")

    op.create_table('notification_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opted_out', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_preference_user_id_user_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preference'))
    )
    op.create_table('user_visit',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('previous_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_visit_user_id_user_account'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_visit'))
    )


def downgrade() -> None:
    op.drop_table('user_visit')
    op.drop_table('notification_preference')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_outbox_status_next')
        batch_op.drop_constraint('uq_mail_outbox_announcement_recipient', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_mail_outbox_announcement_id_announcement'), type_='foreignkey')
        batch_op.drop_column('announcement_id')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('body_html')
        batch_op.drop_column('body_text')
        batch_op.drop_column('status')
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_notified_at'))
        batch_op.drop_column('notified_at')
