"""translations: the translator role and the native speakers' reviews

A staff user may be a translator (a resident or health communicator who reviews the strings of
one language: staff_user.translates); translation_review holds their verdicts and suggested
corrections and the manager's decision.

SQLite cannot change a CHECK constraint in place, and rebuilding staff_user (batch mode) would
delete its children through ON DELETE CASCADE; the constraint's text is changed in the schema
instead, as SQLite documents for constraints that existing rows satisfy (PRAGMA writable_schema,
then a new schema_version so every connection reads it again).

Revision ID: 0018_translations
Revises: 0017_perf
Create Date: 2026-12-06 08:00:00

"""
from alembic import op
import sqlalchemy as sa

from havehus.orm import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0018_translations'
down_revision = '0017_perf'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'manager', 'host', 'partner')"
NEW_ROLES = "role IN ('admin', 'manager', 'host', 'partner', 'translator')"


def _set_role_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
        bind.exec_driver_sql('PRAGMA writable_schema = ON')
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = replace(sql, ?, ?) "
            "WHERE type = 'table' AND name = 'staff_user'",
            (old, new),
        )
        bind.exec_driver_sql('PRAGMA writable_schema = OFF')
        bind.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')
    else:
        op.drop_constraint(op.f('ck_staff_user_role'), 'staff_user', type_='check')
        op.create_check_constraint(op.f('ck_staff_user_role'), 'staff_user', new)


def upgrade():
    _set_role_check(OLD_ROLES, NEW_ROLES)
    op.add_column('staff_user', sa.Column('translates', sa.String(length=10), nullable=True))
    op.create_table(
        'translation_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('msgid', sa.Text(), nullable=False),
        sa.Column('verdict', sa.String(length=20), nullable=False),
        sa.Column('suggestion', sa.Text(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('decision', sa.String(length=10), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "verdict IN ('reviewed', 'needs-change')", name=op.f('ck_translation_review_verdict')
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('accepted', 'declined')",
            name=op.f('ck_translation_review_decision'),
        ),
        sa.CheckConstraint(
            "verdict = 'reviewed' OR suggestion IS NOT NULL",
            name=op.f('ck_translation_review_suggested'),
        ),
        sa.ForeignKeyConstraint(
            ['author_id'], ['staff_user.id'],
            name=op.f('fk_translation_review_author_id_staff_user'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['decided_by_id'], ['staff_user.id'],
            name=op.f('fk_translation_review_decided_by_id_staff_user'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_translation_review')),
    )
    op.create_index(
        'ix_translation_review_language_msgid', 'translation_review', ['language', 'msgid']
    )


def downgrade():
    op.drop_index('ix_translation_review_language_msgid', table_name='translation_review')
    op.drop_table('translation_review')
    op.execute("DELETE FROM staff_user WHERE role = 'translator'")
    op.drop_column('staff_user', 'translates')
    _set_role_check(NEW_ROLES, OLD_ROLES)
