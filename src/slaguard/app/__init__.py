"""Use cases: one transaction each, over the domain core and storage."""
