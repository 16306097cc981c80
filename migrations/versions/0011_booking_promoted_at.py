"""bookings note when the waiting list gave them a seat

The reports count how many seats freed by a cancellation were refilled from the waiting list
before the session started (docs/indicators.md): that needs the moment of the promotion.
Bookings promoted before this revision have none and count as never promoted.

Revision ID: 0011_booking_promoted_at
Revises: 0010_follow_up
Create Date: 2026-12-07 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import havehus.orm


# revision identifiers, used by Alembic.
revision = '0011_booking_promoted_at'
down_revision = '0010_follow_up'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promoted_at', havehus.orm.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_column('promoted_at')
