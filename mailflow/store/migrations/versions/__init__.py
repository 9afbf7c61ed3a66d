"""Each module is one schema revision, in order of down_revision."""
