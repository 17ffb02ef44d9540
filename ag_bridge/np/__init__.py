"""MXNet numpy-mode facade (placeholder)."""
