"""one live person per phone number; people coming along on a booking (guests)

Before, find-or-create by phone was check-then-insert, so concurrent sign-ups with one number
could make several participants. Live participants who share a number are merged into the
oldest: their bookings, consents (with their history), reminder requests, feed tokens and
texts move to it; where both had booked the same session (a family on one phone), the other
comes along as a guest on the kept booking, so the seats stay counted. Then a partial unique
index keeps it so.

Revision ID: 0007_one_person_per_number
Revises: 0006_phone_verified
Create Date: 2026-12-06 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_one_person_per_number'
down_revision = '0006_phone_verified'
branch_labels = None
depends_on = None

MAX_GUESTS = 4
SEAT_COUNTED = ("confirmed", "offered", "attended", "no_show")


def upgrade():
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guests', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            'guests_range', f'guests >= 0 AND guests <= {MAX_GUESTS}'
        )
    with op.batch_alter_table('signup_challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guests', sa.Integer(), server_default='0', nullable=False))
    _merge_people_sharing_a_number(op.get_bind())
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.create_index(
            'uq_participant_live_phone', ['phone'], unique=True,
            sqlite_where=sa.text('anonymised_at IS NULL'),
            postgresql_where=sa.text('anonymised_at IS NULL'),
        )


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_index('uq_participant_live_phone')
    with op.batch_alter_table('signup_challenge', schema=None) as batch_op:
        batch_op.drop_column('guests')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint('guests_range', type_='check')
        batch_op.drop_column('guests')


def _merge_people_sharing_a_number(conn):
    shared = conn.execute(sa.text(
        "SELECT phone FROM participant WHERE anonymised_at IS NULL AND phone IS NOT NULL "
        "GROUP BY phone HAVING COUNT(*) > 1"
    )).scalars().all()
    for phone in shared:
        ids = conn.execute(sa.text(
            "SELECT id FROM participant WHERE phone = :phone AND anonymised_at IS NULL ORDER BY id"
        ), {"phone": phone}).scalars().all()
        keep = ids[0]
        for other in ids[1:]:
            _merge(conn, keep, other)


def _merge(conn, keep, other):
    bookings = conn.execute(sa.text(
        "SELECT id, session_id, activity_id, status, guests FROM booking "
        "WHERE participant_id = :other ORDER BY id"
    ), {"other": other}).mappings().all()
    for booking in bookings:
        same = "session_id = :held" if booking["session_id"] is not None else "activity_id = :held"
        held = booking["session_id"] if booking["session_id"] is not None else booking["activity_id"]
        clash = conn.execute(sa.text(
            f"SELECT id, status, guests FROM booking WHERE participant_id = :keep AND {same}"
        ), {"keep": keep, "held": held}).mappings().first()
        if clash is None:
            conn.execute(sa.text("UPDATE booking SET participant_id = :keep WHERE id = :id"),
                         {"keep": keep, "id": booking["id"]})
        elif booking["status"] not in SEAT_COUNTED:
            conn.execute(sa.text("DELETE FROM booking WHERE id = :id"), {"id": booking["id"]})
        elif clash["status"] not in SEAT_COUNTED:
            conn.execute(sa.text("DELETE FROM booking WHERE id = :id"), {"id": clash["id"]})
            conn.execute(sa.text("UPDATE booking SET participant_id = :keep WHERE id = :id"),
                         {"keep": keep, "id": booking["id"]})
        else:
            # Both held seats: the other person comes along on the kept booking as a guest.
            wanted = clash["guests"] + 1 + booking["guests"]
            guests = min(wanted, MAX_GUESTS)
            conn.execute(sa.text("UPDATE booking SET guests = :guests WHERE id = :id"),
                         {"guests": guests, "id": clash["id"]})
            conn.execute(sa.text("DELETE FROM booking WHERE id = :id"), {"id": booking["id"]})
            if wanted > guests:  # over the most one booking may bring: those seats are freed
                table, column = (
                    ("session", "seats_taken") if booking["session_id"] is not None
                    else ("activity", "places_taken")
                )
                conn.execute(sa.text(
                    f"UPDATE {table} SET {column} = {column} - :freed WHERE id = :held"
                ), {"freed": wanted - guests, "held": held})
    asked = set(conn.execute(sa.text(
        "SELECT session_id FROM reminder_request WHERE participant_id = :keep"
    ), {"keep": keep}).scalars())
    for request_id, session_id in conn.execute(sa.text(
        "SELECT id, session_id FROM reminder_request WHERE participant_id = :other"
    ), {"other": other}).all():
        if session_id in asked:
            conn.execute(sa.text("DELETE FROM reminder_request WHERE id = :id"), {"id": request_id})
        else:
            conn.execute(sa.text(
                "UPDATE reminder_request SET participant_id = :keep WHERE id = :id"
            ), {"keep": keep, "id": request_id})
    for table in ("feed_token", "outbound_message", "inbound_message", "consent"):
        conn.execute(sa.text(
            f"UPDATE {table} SET participant_id = :keep WHERE participant_id = :other"
        ), {"keep": keep, "other": other})
    conn.execute(sa.text("DELETE FROM participant WHERE id = :other"), {"other": other})
