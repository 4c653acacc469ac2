"""sealed pending responses (issue 15): answers become readable only in shuffled batches of >= K

Also empties ``progress``: its ``answers`` column now holds sealed text, and drafts are transient (an
officer whose draft is dropped enters the code again; the code is not used until submit).

Revision ID: i15_pending
Revises: i14_release_ledger
"""
from alembic import op
import sqlalchemy as sa


revision = 'i15_pending'
down_revision = 'i14_release_ledger'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_response',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['reporting_group.id'], name=op.f('fk_pending_response_group_id_reporting_group')),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_pending_response_wave_id_wave')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_response')),
    sqlite_with_rowid=False
    )
    op.create_index('ix_pending_response_wave_group', 'pending_response', ['wave_id', 'group_id'], unique=False)
    op.execute("DELETE FROM progress")


def downgrade():
    # Pending answers cannot be kept without their table: downgrading refuses while any exist.
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM pending_response")).scalar():
        raise RuntimeError("pending_response holds sealed answers: close their waves before downgrading")
    op.drop_index('ix_pending_response_wave_group', table_name='pending_response')
    op.drop_table('pending_response')
    op.execute("DELETE FROM progress")
