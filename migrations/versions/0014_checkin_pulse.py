"""self check-in and the wellbeing pulse: activity.wellbeing_pulse, the pulse counts, a tap for a face

Revision ID: 0014_checkin_pulse
Revises: 0013_operations
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_checkin_pulse'
down_revision = '0013_operations'
branch_labels = None
depends_on = None

OLD_ACTIONS = "action IN ('came', 'not_came', 'count', 'uncount', 'remove_visit')"
NEW_ACTIONS = "action IN ('came', 'not_came', 'count', 'uncount', 'remove_visit', 'pulse')"


def upgrade():
    # A plain ADD COLUMN (a literal default): copying the activity table, as a batch does on
    # SQLite, would cascade the drop of the old table to every session and booking.
    op.add_column(
        'activity', sa.Column('wellbeing_pulse', sa.Boolean(), server_default='0', nullable=False)
    )
    op.create_table(
        'pulse',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('face', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.CheckConstraint('count >= 0', name=op.f('ck_pulse_count_non_negative')),
        sa.CheckConstraint('face BETWEEN 1 AND 5', name=op.f('ck_pulse_face')),
        sa.ForeignKeyConstraint(['session_id'], ['session.id'], name=op.f('fk_pulse_session_id_session'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse')),
        sa.UniqueConstraint('session_id', 'face', name=op.f('uq_pulse_session_id_face')),
    )
    with op.batch_alter_table('attendance_tap', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attendance_tap_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attendance_tap_action'), sa.text(NEW_ACTIONS))


def downgrade():
    op.execute("DELETE FROM attendance_tap WHERE action = 'pulse'")
    with op.batch_alter_table('attendance_tap', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attendance_tap_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attendance_tap_action'), sa.text(OLD_ACTIONS))
    op.drop_table('pulse')
    op.drop_column('activity', 'wellbeing_pulse')  # ALTER TABLE … DROP COLUMN, no copy
