"""ops: the web request that queued a text

An outbound text remembers the id of the web request that put it in the outbox, so the
worker's log lines about sending it carry the same id as the request's.

Revision ID: 0016_ops_request_id
Revises: 0015_imports
Create Date: 2026-12-06 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_ops_request_id'
down_revision = '0015_imports'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_column('request_id')
