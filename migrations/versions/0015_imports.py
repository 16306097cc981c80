"""imports: history brought in from a house's old lists

A department's yearly figures carry residents aged 65+ and their source, and the number of
residents of all ages may be unknown (the import file gives 18+ and 65+ only). An imported
person is found again by a keyed hash of the name the old list used (participant.import_key),
and the sessions made for imported days are marked (session.imported).

Revision ID: 0015_imports
Revises: 0014_checkin_pulse
Create Date: 2026-12-06 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_imports'
down_revision = '0014_checkin_pulse'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('department_population', schema=None) as batch_op:
        batch_op.add_column(sa.Column('residents_65_plus', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source', sa.String(length=200), nullable=True))
        batch_op.alter_column('residents', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_department_population_seniors_within_adults'),
            'residents_65_plus IS NULL OR (residents_65_plus >= 0 AND residents_65_plus <= adults)',
        )
    # participant and session have children (bookings, visits …): rebuilding them, as batch
    # mode does on SQLite, would delete those rows through ON DELETE CASCADE. Plain ALTERs.
    op.add_column('participant', sa.Column('import_key', sa.String(length=64), nullable=True))
    op.create_index('uq_participant_import_key', 'participant', ['import_key'], unique=True)
    op.add_column(
        'session', sa.Column('imported', sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    op.drop_column('session', 'imported')
    op.drop_index('uq_participant_import_key', table_name='participant')
    op.drop_column('participant', 'import_key')
    # Figures without a number of residents of all ages cannot go back: they get their adults.
    op.execute('UPDATE department_population SET residents = adults WHERE residents IS NULL')
    with op.batch_alter_table('department_population', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_department_population_seniors_within_adults'), type_='check')
        batch_op.alter_column('residents', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('source')
        batch_op.drop_column('residents_65_plus')
