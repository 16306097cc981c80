"""privacy: an opt-out keeps the number's keyed hash, never the number

A number that said STOP must be remembered after everything else about it is gone, so no later
import or sign-up texts it; it is kept as an HMAC of the number (the `opt_out_key` setting, or
the secret key) in opt_out.phone_hash. Existing rows are hashed here, and so are the lines of
the opt-out log (outside the database) that still hold a number.

A person may ask for a copy of their data from "my bookings" (participant.copy_requested_at),
queued for a manager like a request to be deleted.

A downgrade cannot turn the hashes back into numbers: it empties the opt-out table.

Revision ID: 0019_privacy
Revises: 0018_translations
Create Date: 2026-12-06 08:00:00

"""
import sqlalchemy as sa
from alembic import op
from flask import current_app

import havehus.orm
from havehus.config import settings_of
from havehus.messaging import optout_log

# revision identifiers, used by Alembic.
revision = '0019_privacy'
down_revision = '0018_translations'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opt_out', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    settings = settings_of(current_app)
    rows = connection.execute(sa.text('SELECT id, phone FROM opt_out')).all()
    for row_id, phone in rows:
        connection.execute(
            sa.text('UPDATE opt_out SET phone_hash = :hash WHERE id = :id'),
            {'hash': optout_log.number_key(phone, settings), 'id': row_id},
        )
    with op.batch_alter_table('opt_out', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_opt_out_phone'), type_='unique')
        batch_op.drop_column('phone')
        batch_op.alter_column('phone_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(op.f('uq_opt_out_phone_hash'), ['phone_hash'])
    optout_log.hash_old_lines(optout_log.log_path(settings), settings)
    # participant has children (bookings, visits …): rebuilding it, as batch mode does on
    # SQLite, would delete those rows through ON DELETE CASCADE. A plain ALTER.
    op.add_column('participant', sa.Column('copy_requested_at', havehus.orm.UTCDateTime(), nullable=True))


def downgrade():
    op.drop_column('participant', 'copy_requested_at')
    op.execute('DELETE FROM opt_out')
    with op.batch_alter_table('opt_out', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_opt_out_phone_hash'), type_='unique')
        batch_op.drop_column('phone_hash')
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=False))
        batch_op.create_unique_constraint(op.f('uq_opt_out_phone'), ['phone'])
