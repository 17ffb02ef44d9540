"""ag_bridge backend plugin for array_api_strict (entry point ``array_api_strict``)."""
