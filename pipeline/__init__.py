"""corpus-clean's library: pure functions over documents and Arrow batches (no Prefect here)."""
__version__ = "0.1.0"

from .repair import repair_text  # noqa: E402  (public entry point, issue 3)

__all__ = ["__version__", "repair_text"]
