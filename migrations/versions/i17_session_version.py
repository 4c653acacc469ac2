"""staff session version: bumping it ends every session of the account (logout, disable)

Revision ID: i17_session_version
Revises: i15_pending
Create Date: 2026-12-01 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'i17_session_version'
down_revision = 'i15_pending'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
