"""staff sessions kept on the server; failed sign-ins note a known device

Signing out now ends the session on the server (staff_session), so a saved copy of the cookie
opens nothing. A browser that signed in to an account before counts its failed tries on its
own (login_attempt.device), so wrong passwords from elsewhere cannot lock the owner out.
Sessions open before this revision have no row: their users sign in once more.

Revision ID: 0009_staff_sessions
Revises: 0008_attendance
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import havehus.orm


# revision identifiers, used by Alembic.
revision = '0009_staff_sessions'
down_revision = '0008_attendance'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('expires_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('ended_at', havehus.orm.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_staff_session_staff_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_session_token_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index('ix_staff_session_staff_user_id', ['staff_user_id'], unique=False)
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('login_attempt', schema=None) as batch_op:
        batch_op.drop_column('device')
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index('ix_staff_session_staff_user_id')
    op.drop_table('staff_session')
