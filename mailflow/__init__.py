"""mailflow: a change-request approval process run over plain email."""

__version__ = "0.1.0"
