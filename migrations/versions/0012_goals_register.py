"""yearly targets, the indicator register and frozen years of the reports

report_target: a yearly target over a scope of sessions; report_outside_location: the places
that count as outside the area; report_indicator (+ _value): the funder's baseline table and
the figures typed in per year; report_year_snapshot: a frozen year's figures as JSON.

Revision ID: 0012_goals_register
Revises: 0011_booking_promoted_at
Create Date: 2026-12-06 05:00:00

"""
from alembic import op
import sqlalchemy as sa

import havehus.orm  # noqa: F401  (custom column types used by autogenerate)


# revision identifiers, used by Alembic.
revision = '0012_goals_register'
down_revision = '0011_booking_promoted_at'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_outside_location',
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], name=op.f('fk_report_outside_location_location_id_location'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('location_id', name=op.f('pk_report_outside_location'))
    )
    op.create_table('report_year_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('frozen_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('frozen_by_id', sa.Integer(), nullable=True),
    sa.Column('frozen_by_name', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['frozen_by_id'], ['staff_user.id'], name=op.f('fk_report_year_snapshot_frozen_by_id_staff_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_year_snapshot')),
    sa.UniqueConstraint('year', name=op.f('uq_report_year_snapshot_year'))
    )
    op.create_table('report_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sub_goal', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('figure', sa.String(length=30), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('baseline_value', sa.String(length=30), nullable=True),
    sa.Column('baseline_of', sa.Integer(), nullable=True),
    sa.Column('baseline_year', sa.Integer(), nullable=True),
    sa.Column('municipal_baseline', sa.String(length=100), nullable=False),
    sa.Column('data_source', sa.String(length=300), nullable=False),
    sa.Column('direction', sa.String(length=4), nullable=False),
    sa.Column('created_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('updated_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('activity_type', sa.String(length=30), nullable=True),
    sa.Column('theme', sa.String(length=60), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('outside_area', sa.Boolean(), nullable=False),
    sa.CheckConstraint("direction IN ('rise', 'fall', 'hold')", name=op.f('ck_report_indicator_direction')),
    sa.CheckConstraint("figure IS NULL OR figure IN ('sessions_held', 'sessions_cancelled', 'visits', 'anonymous_visits', 'unique_participants', 'new_participants', 'returning_participants', 'no_show_rate', 'participation_rate')", name=op.f('ck_report_indicator_figure')),
    sa.CheckConstraint("kind = 'external' OR figure IS NOT NULL", name=op.f('ck_report_indicator_figure_for_computed')),
    sa.CheckConstraint("kind IN ('computed', 'external')", name=op.f('ck_report_indicator_kind')),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_report_indicator_activity_id_activity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_report_indicator_department_id_department'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_indicator'))
    )
    op.create_table('report_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=30), nullable=False),
    sa.Column('comparison', sa.String(length=2), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('sub_goal', sa.String(length=200), nullable=False),
    sa.Column('created_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('updated_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.Column('activity_type', sa.String(length=30), nullable=True),
    sa.Column('theme', sa.String(length=60), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('outside_area', sa.Boolean(), nullable=False),
    sa.CheckConstraint("activity_type IS NULL OR activity_type IN ('network', 'theme', 'workshop', 'course', 'popup', 'health_event', 'department_meeting', 'open_house', 'staff_meeting')", name=op.f('ck_report_target_activity_type')),
    sa.CheckConstraint("comparison IN ('>=', '<=')", name=op.f('ck_report_target_comparison')),
    sa.CheckConstraint("measure IN ('sessions_held', 'unique_participants', 'visits', 'new_participants')", name=op.f('ck_report_target_measure')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_report_target_amount_non_negative')),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_report_target_activity_id_activity'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_target'))
    )
    with op.batch_alter_table('report_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_target_year'), ['year'], unique=False)

    op.create_table('report_indicator_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=30), nullable=False),
    sa.Column('of', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('updated_at', havehus.orm.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['report_indicator.id'], name=op.f('fk_report_indicator_value_indicator_id_report_indicator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_indicator_value')),
    sa.UniqueConstraint('indicator_id', 'year', name=op.f('uq_report_indicator_value_indicator_id_year'))
    )


def downgrade():
    op.drop_table('report_indicator_value')
    with op.batch_alter_table('report_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_target_year'))

    op.drop_table('report_target')
    op.drop_table('report_indicator')
    op.drop_table('report_year_snapshot')
    op.drop_table('report_outside_location')
