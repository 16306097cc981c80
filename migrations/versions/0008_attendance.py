"""attendance: named visits, the taps that recorded them, a session's attendance sheet

Bookings already marked as attended get their visit.

Revision ID: 0008_attendance
Revises: 0007_one_person_per_number
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import havehus.orm


# revision identifiers, used by Alembic.
revision = '0008_attendance'
down_revision = '0007_one_person_per_number'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'visit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('booking_status_before', sa.String(length=12), nullable=True),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('at', havehus.orm.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "source IN ('host', 'kiosk', 'qr', 'import')", name=op.f('ck_visit_source')
        ),
        sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_visit_booking_id_booking'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_visit_participant_id_participant'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_visit_recorded_by_id_staff_user')),
        sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_visit_session_id_session'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
        sa.UniqueConstraint('session_id', 'participant_id', name=op.f('uq_visit_session_id_participant_id')),
    )
    op.create_index('ix_visit_participant', 'visit', ['participant_id'], unique=False)
    op.create_table(
        'attendance_tap',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('subject', sa.String(length=40), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('at', havehus.orm.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "action IN ('came', 'not_came', 'count', 'uncount', 'remove_visit')",
            name=op.f('ck_attendance_tap_action'),
        ),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_user.id'], name=op.f('fk_attendance_tap_recorded_by_id_staff_user')),
        sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_attendance_tap_session_id_session'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_attendance_tap')),
    )
    op.create_index('ix_attendance_tap_session', 'attendance_tap', ['session_id'], unique=False)
    op.create_table(
        'session_attendance',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('closed_at', havehus.orm.UTCDateTime(), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('unlocked_until', havehus.orm.UTCDateTime(), nullable=True),
        sa.Column('updated_at', havehus.orm.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['closed_by_id'], ['staff_user.id'], name=op.f('fk_session_attendance_closed_by_id_staff_user')),
        sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_session_attendance_session_id_session'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('session_id', name=op.f('pk_session_attendance')),
    )
    # Bookings marked as come before visits were kept become their visits, so a named visit
    # has one definition from here on (and `havehus check` agrees).
    op.execute(
        "INSERT INTO visit (session_id, participant_id, booking_id, booking_status_before, "
        "source, at) "
        "SELECT b.session_id, b.participant_id, b.id, 'confirmed', "
        "CASE WHEN b.source = 'kiosk' THEN 'kiosk' ELSE 'host' END, "
        "COALESCE(b.attended_at, s.starts_at) "
        "FROM booking b JOIN session s ON s.id = b.session_id WHERE b.status = 'attended'"
    )


def downgrade():
    op.drop_table('session_attendance')
    op.drop_index('ix_attendance_tap_session', table_name='attendance_tap')
    op.drop_table('attendance_tap')
    op.drop_index('ix_visit_participant', table_name='visit')
    op.drop_table('visit')
