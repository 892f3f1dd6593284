"""make bench's parts, one module per job (bench.py is the main): mounts,
servers, measure, report; common has what they share."""
