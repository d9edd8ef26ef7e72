"""Warehouse I/O per layer: reads what the statistics need, writes results through one table writer."""
