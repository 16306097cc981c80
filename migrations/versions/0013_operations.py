"""operations: workers' heartbeats and the backups taken

The worker refreshes its row in worker_heartbeat every minute, so the web can tell staff and
monitoring when no worker runs. backup_run records every backup, written before the copy is
taken so that a restored copy knows its own time.

Revision ID: 0013_operations
Revises: 0012_goals_register
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import havehus.orm


# revision identifiers, used by Alembic.
revision = '0013_operations'
down_revision = '0012_goals_register'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_heartbeat',
    sa.Column('worker_id', sa.String(length=120), nullable=False),
    sa.Column('started_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('beat_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_heartbeat'))
    )
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_worker_heartbeat_beat_at'), ['beat_at'], unique=False)
    op.create_table('backup_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('taken_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('nightly_key', sa.String(length=10), nullable=True),
    sa.Column('finished_at', havehus.orm.UTCDateTime(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_run')),
    sa.UniqueConstraint('nightly_key', name=op.f('uq_backup_run_nightly_key'))
    )
    with op.batch_alter_table('backup_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backup_run_taken_at'), ['taken_at'], unique=False)


def downgrade():
    with op.batch_alter_table('backup_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backup_run_taken_at'))
    op.drop_table('backup_run')
    with op.batch_alter_table('worker_heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_worker_heartbeat_beat_at'))
    op.drop_table('worker_heartbeat')
