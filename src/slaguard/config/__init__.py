"""Configuration files (YAML or JSON, one file or a folder) -> validated domain objects."""
