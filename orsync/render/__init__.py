"""Renderers: each turns a Plan into one output format, and does nothing else."""
