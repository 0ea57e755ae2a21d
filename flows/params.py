"""Flow parameters generated from the pipeline's options (pipeline.core.OPTIONS).

A flow declares its own parameters and takes `**options`; `with_options` gives it the full
signature (each exposed option a keyword-only parameter with its type and default), which is what
Prefect reads for the parameter schema, the UI and validation. So an option declared once in the
pipeline is a flow parameter without further edits.
"""
from __future__ import annotations

import inspect

from pipeline.core import OPTIONS, Config

EXPOSED = [o for o in OPTIONS if o.exposed]


def _annotation(option):
    return option.type | None if option.nullable else option.type


def with_options(fn):
    """Add every exposed option to `fn`'s signature as a keyword-only parameter."""
    sig = inspect.signature(fn)
    own = [p for p in sig.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    extra = [inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default,
                               annotation=_annotation(o)) for o in EXPOSED]
    fn.__signature__ = sig.replace(parameters=own + extra)
    doc = fn.__doc__ or ""
    fn.__doc__ = doc + "\n\n    Options (pipeline.core.OPTIONS):\n" + "\n".join(
        f"        {o.name}: {o.help} (default {o.default!r})" for o in EXPOSED)
    return fn


def config_from(options: dict) -> Config:
    """The run's Config from flow parameters (unknown names are an error)."""
    return Config.from_dict(options)
