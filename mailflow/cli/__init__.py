"""The command line: one module per command group; errors become one line and an exit code."""
