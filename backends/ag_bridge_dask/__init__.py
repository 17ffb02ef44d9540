"""ag_bridge backend plugin for dask (entry point ``dask``)."""
