"""Hydra configs shipped in `synth/conf/`, composed with the context-manager API and checked
against the component's typed dataclass.

    cfg = compose("generate_data", ["seed=3"], GenerateConfig)   # -> GenerateConfig(seed=3, ...)

Unknown keys or badly typed values raise UserError naming the key, so `synth ... foo=1` fails loudly.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Sequence, TypeVar

from .errors import UserError

CONF_DIR = Path(__file__).with_name("conf")
T = TypeVar("T")


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
        raise UserError(f"config '{name}': {str(e).splitlines()[0]}") from None
    if schema is None:
        return cfg
    try:
        merged = OmegaConf.merge(OmegaConf.structured(schema), cfg)
        return OmegaConf.to_object(merged)
    except OmegaConfBaseException as e:
        raise UserError(f"config '{name}': {str(e).splitlines()[0]}") from None


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
