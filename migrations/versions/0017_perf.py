"""perf: a seats version beside the program version

Bookings, cancellations and check-ins move `seats_version`; the planner moves `version`. Caches
of what shows no seats (the public calendar feeds) key on the program version alone, so a
booking no longer rebuilds every feed. And an index on session.ends_at, for what has not ended.

Revision ID: 0017_perf
Revises: 0016_ops_request_id
Create Date: 2026-12-06 07:30:00

"""
import sqlalchemy as sa
from alembic import op

import havehus.orm

# revision identifiers, used by Alembic.
revision = '0017_perf'
down_revision = '0016_ops_request_id'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        'program_version',
        sa.Column('seats_version', sa.Integer(), server_default=sa.text('0'), nullable=False),
    )
    op.add_column('program_version', sa.Column('seats_changed_at', havehus.orm.UTCDateTime(), nullable=True))
    # What has not ended yet: the kiosk, an activity's coming dates, a cached page's next change.
    op.create_index('ix_session_ends_at', 'session', ['ends_at'], unique=False)


def downgrade():
    op.drop_index('ix_session_ends_at', table_name='session')
    with op.batch_alter_table('program_version', schema=None) as batch_op:
        batch_op.drop_column('seats_changed_at')
        batch_op.drop_column('seats_version')
