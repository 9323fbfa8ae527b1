"""Search for programs that solve tasks (docs §5): the method registry and the built-in methods.

    from synth.search import build, get_method, verify, SearchResult, method_names
    solve = build("default")                         # any registered name: default (guided), meet, enumerate ...
    res = solve(task, time_limit=5.0)                # SearchResult; res.to_json() is docs §5's object

See `base.py` for the method interface and `enumerate.py` for the enumerative baseline.
"""
from .base import (ALIASES, METHODS, Method, SearchResult, build, get_method, method_names, register_method,
                   unsolved, verify)
from . import guided as _guided  # noqa: F401,E402  registers `guided` and its ablations
from . import default as _default  # noqa: F401,E402  registers `default` (the guided search) and `meet`

__all__ = ["ALIASES", "METHODS", "Method", "SearchResult", "build", "get_method", "method_names",
           "register_method", "unsolved", "verify"]
