"""DB-aware orchestration: load from the database, call the core, save (DESIGN.md section 2)."""
