"""ag_bridge backend plugin for torch (entry point ``torch``)."""
