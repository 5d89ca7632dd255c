"""Models built from names: ``create_model(case, name, **kw)``."""
