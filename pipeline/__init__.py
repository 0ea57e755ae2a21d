"""corpus-clean's library: pure functions over documents and Arrow batches (no Prefect here).

`pipeline.repair_text` is the public entry point of the repair step; it is imported on first use,
so that importing a small part of the library (pipeline.storage, say) stays cheap.
"""
__version__ = "0.1.0"

__all__ = ["__version__", "repair_text"]


def __getattr__(name: str):
    if name == "repair_text":
        from .repair import repair_text

        return repair_text
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
