"""release ledger (issue 14)

Revision ID: i14_release_ledger
Revises: c253f6e603f4
"""
from alembic import op
import sqlalchemy as sa


revision = 'i14_release_ledger'
down_revision = 'c253f6e603f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('release_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('algorithm_version', sa.String(length=32), nullable=False),
    sa.Column('data_state', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('pending', 'released', 'superseded', name='releasestatus', native_enum=False, length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_release_ledger_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_ledger')),
    sa.UniqueConstraint('key', name=op.f('uq_release_ledger_key'))
    )
    with op.batch_alter_table('release_ledger', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_ledger_wave_id'), ['wave_id'], unique=False)


def downgrade():
    with op.batch_alter_table('release_ledger', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_ledger_wave_id'))
    op.drop_table('release_ledger')
