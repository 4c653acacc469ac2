"""The domain, pure Python: no Flask import, no database session (DESIGN.md section 2)."""
