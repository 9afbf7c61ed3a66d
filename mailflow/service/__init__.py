"""What runs: the daemon loop, sending, sweeps, the reader lease, health, metrics, logs."""
