"""participant.phone_verified_at: a number proved by a texted code

Revision ID: 0006_phone_verified
Revises: 0005_messaging
Create Date: 2026-12-06 02:30:00

"""
from alembic import op
import sqlalchemy as sa

import havehus.orm


# revision identifiers, used by Alembic.
revision = '0006_phone_verified'
down_revision = '0005_messaging'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_verified_at', havehus.orm.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('phone_verified_at')
