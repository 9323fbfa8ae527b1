"""Hydra configs shipped in `synth/conf/`, composed with the context-manager API and checked
against the component's typed dataclass.

    cfg = compose("generate_data", ["seed=3"], GenerateConfig)   # -> GenerateConfig(seed=3, ...)

Unknown keys or badly typed values raise UserError naming the key, so `synth ... foo=1` fails loudly: the
type checks are OmegaConf's (the dataclass is merged as a structured config), the choices of string options
(`clock`, `executor`, ...) are listed once in CHOICES below.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence, TypeVar

from .errors import UserError

CONF_DIR = Path(__file__).with_name("conf")
T = TypeVar("T")

# String options that take one of a few values, by field name (checked in every composed config).
CHOICES = {
    "clock": ("wall", "cpu"),
    "executor": ("evaluator", "field", "student"),
    "prior": ("gradient", "none"),
    "mix": ("embedding", "fields"),
    "solver": ("euler", "midpoint", "heun2", "heun3", "rk4", "explicit_adams", "implicit_adams",
               "dopri5", "dopri8", "bosh3", "fehlberg2", "adaptive_heun"),
    "device": ("auto", "cpu", "cuda"),
}


def config_error(name: str, e: Exception) -> "UserError":
    """One line from an OmegaConf/Hydra error: the key it names and its first line."""
    from .errors import UserError
    from dsl.values import clip
    key = getattr(e, "full_key", None)
    text = str(e)
    first = text.splitlines()[0] if text else type(e).__name__
    cause = e.__cause__
    if first.startswith("Could not override") and "not in struct" in str(cause):   # Hydra: unknown key
        key = key or first.split("'")[1]
        first = f"unknown key (a new key needs a leading +, e.g. +{key}=...)"
    elif first.startswith("Error merging override") and cause is not None:     # Hydra: a value of the wrong kind
        key = getattr(cause, "full_key", None) or first.split("override ", 1)[1].split("=", 1)[0]
        first = (str(cause).splitlines() or [type(cause).__name__])[0]
    msg = clip(first, 160)
    return UserError(f"config '{name}'" + (f", key '{key}'" if key else "") + f": {msg}")


def check_choices(obj: Any, name: str) -> None:
    """UserError when a string field named in CHOICES holds another value (walks nested dataclasses/dicts
    breadth first, so `enumerate.clock` is named rather than a section that copies it, `default.enumerate`)."""
    level = [("", dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj)]
    while level:
        nxt = []
        for prefix, d in level:
            for k, v in d.items():
                if isinstance(v, dict):
                    nxt.append((f"{prefix}{k}.", v))
                elif k in CHOICES and isinstance(v, str) and v not in CHOICES[k]:
                    from dsl.values import clip
                    raise UserError(f"config '{name}', key '{prefix}{k}': {clip(v)!r} is not one of "
                                    f"{', '.join(CHOICES[k])}")
        level = nxt


def structured(name: str, cfg: Any, schema: type, extra: dict | None = None) -> Any:
    """Merge composed `cfg` (and `extra`, e.g. flags) into `schema` as a structured config: an OmegaConf
    DictConfig whose values have the dataclass's types (a UserError naming the key otherwise)."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException
    try:
        if OmegaConf.is_config(cfg):         # resolve `${...}` first: a typed node takes no interpolation string
            cfg = OmegaConf.to_container(cfg, resolve=True)
        merged = OmegaConf.merge(OmegaConf.structured(schema), cfg, OmegaConf.create(extra or {}))
        OmegaConf.to_container(merged, resolve=True, throw_on_missing=True)
    except OmegaConfBaseException as e:
        if not getattr(e, "full_key", None):       # some merge errors do not say which key: find it
            e.full_key = _failing_key(OmegaConf.structured(schema), OmegaConf.to_container(OmegaConf.create(cfg)))
        raise config_error(name, e) from None
    return merged


def _failing_key(base, d: dict, prefix: str = "") -> str | None:
    """The dotted key of `d` whose merge into structured config `base` fails (first found), or None."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException
    for k, v in d.items():
        try:
            OmegaConf.merge(base, {k: v})
        except OmegaConfBaseException:
            sub = base.get(k) if hasattr(base, "get") else None
            if isinstance(v, dict) and sub is not None and OmegaConf.is_dict(sub):
                return _failing_key(sub, v, f"{prefix}{k}.") or f"{prefix}{k}"
            return f"{prefix}{k}"
    return None


def compose(name: str, overrides: Sequence[str] = (), schema: type[T] | None = None) -> Any:
    """Compose config `name` (a file in synth/conf) with `key=value` overrides; as `schema` if given."""
    from hydra import compose as hydra_compose, initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    bad = [o for o in overrides if "=" not in o]
    if bad:
        raise UserError(f"override {bad[0]!r} is not of the form key=value")
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = hydra_compose(config_name=name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as e:
        raise config_error(name, e) from None
    if schema is None:
        return cfg
    merged = structured(name, cfg, schema)
    try:
        obj = OmegaConf.to_object(merged)
    except OmegaConfBaseException as e:
        raise config_error(name, e) from None
    except ValueError as e:                       # a dataclass's own __post_init__ check
        raise UserError(f"config '{name}': {e}") from None
    check_choices(obj, name)
    return obj


def from_dict(schema: type[T], d: dict) -> T:
    """Rebuild a (possibly nested) config dataclass from a plain dict (e.g. a checkpoint's); loud on unknown keys."""
    names = {f.name: f for f in dataclasses.fields(schema)}
    unknown = set(d) - set(names)
    if unknown:
        raise UserError(f"{schema.__name__}: unknown keys {sorted(unknown)}")
    kw = {}
    for k, v in d.items():
        ft = names[k].type
        sub = ft if dataclasses.is_dataclass(ft) else None
        kw[k] = from_dict(sub, v) if sub is not None and isinstance(v, dict) else v
    return schema(**kw)


def diff(old: dict, new: dict, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, old value, new value) of every leaf that differs between two nested settings dicts
    (a key missing on one side shows as `<unset>`)."""
    out = []
    for k in sorted(set(old) | set(new), key=str):
        a, b = old.get(k, "<unset>"), new.get(k, "<unset>")
        if isinstance(a, dict) and isinstance(b, dict):
            out += diff(a, b, f"{prefix}{k}.")
        elif a != b:
            out.append((f"{prefix}{k}", a, b))
    return out


def describe(diffs: list[tuple[str, Any, Any]], limit: int = 6) -> str:
    """'train.lr 0.0015 -> 0.001, model=... ' for a message (at most `limit` keys, then 'and N more')."""
    from dsl.values import clip
    parts = [f"{k} {clip(a, 30)} -> {clip(b, 30)}" for k, a, b in diffs[:limit]]
    more = f" and {len(diffs) - limit} more" if len(diffs) > limit else ""
    return ", ".join(parts) + more
