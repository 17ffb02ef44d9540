"""ag_bridge backend plugin for jax (entry point ``jax``)."""
