"""String tables, one module per language, same keys in each (a test checks)."""
