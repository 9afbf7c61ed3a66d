"""The configuration: one schema for its shape and defaults, then its meaning checked."""
