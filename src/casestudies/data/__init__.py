"""Data: the sample schema, label taxonomies, the synthetic generator and real-data readers."""
