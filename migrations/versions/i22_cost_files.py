"""cost files: pay rates and paperwork registers (issue 22)

Revision ID: i22_cost_files
Revises: i18_accounting_period
"""
from alembic import op
import sqlalchemy as sa


revision = 'i22_cost_files'
down_revision = 'i18_accounting_period'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cost_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['import_record.id'], name=op.f('fk_cost_file_import_id_import_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_file'))
    )


def downgrade():
    op.drop_table('cost_file')
