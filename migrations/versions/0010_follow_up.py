"""follow-up: what staff did about each person on the follow-up list; outreach contacts

Revision ID: 0010_follow_up
Revises: 0009_staff_sessions
Create Date: 2026-12-07 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import havehus.orm


# revision identifiers, used by Alembic.
revision = '0010_follow_up'
down_revision = '0009_staff_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'follow_up',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=12), nullable=False),
        sa.Column('occurrence', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', havehus.orm.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('missed_twice', 'no_show', 'first_visit', 'not_seen')",
            name=op.f('ck_follow_up_reason'),
        ),
        sa.CheckConstraint(
            "state IN ('texted', 'called', 'done')", name=op.f('ck_follow_up_state')
        ),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_follow_up_participant_id_participant'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['set_by_id'], ['staff_user.id'], name=op.f('fk_follow_up_set_by_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
        sa.UniqueConstraint('participant_id', 'reason', 'occurrence', name=op.f('uq_follow_up_participant_id_reason_occurrence')),
    )
    op.create_table(
        'outreach_contact',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('at', havehus.orm.UTCDateTime(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=True),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False),
        sa.Column('activity_id', sa.Integer(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('drop-in', 'sundhedsformidler', 'social-henvisning', 'housing-staff', 'friend', 'other')",
            name=op.f('ck_outreach_contact_channel'),
        ),
        sa.CheckConstraint('count >= 1 AND count <= 500', name=op.f('ck_outreach_contact_count_range')),
        sa.CheckConstraint('participant_id IS NULL OR count = 1', name=op.f('ck_outreach_contact_named_is_one')),
        sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_outreach_contact_activity_id_activity'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_outreach_contact_participant_id_participant'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_outreach_contact_recorded_by_id_staff_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_contact')),
        sa.UniqueConstraint('key', name=op.f('uq_outreach_contact_key')),
    )
    op.create_index('ix_outreach_contact_at', 'outreach_contact', ['at'], unique=False)


def downgrade():
    op.drop_index('ix_outreach_contact_at', table_name='outreach_contact')
    op.drop_table('outreach_contact')
    op.drop_table('follow_up')
