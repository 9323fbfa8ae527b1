"""One source of defaults: every shipped preset in synth/conf equals its config dataclass's defaults."""
import dataclasses

import pytest
from omegaconf import OmegaConf

from synth.config import compose, from_dict


def _diff(yaml, code, path=""):
    """The fields (dotted paths) where a composed preset and the dataclass defaults differ."""
    if dataclasses.is_dataclass(yaml) and dataclasses.is_dataclass(code):
        return [d for f in dataclasses.fields(code) for d in _diff(getattr(yaml, f.name), getattr(code, f.name),
                                                                   f"{path}.{f.name}")]
    return [] if yaml == code else [f"{path}: yaml {yaml!r}, code {code!r}"]


def _schemas():
    from synth.commands.inspect import InspectConfig
    from synth.data.shards import GenerateConfig
    from synth.evaluator.train import TrainEvaluatorConfig
    from synth.field.train import TrainFieldConfig
    return [("train_evaluator", TrainEvaluatorConfig), ("train_field", TrainFieldConfig),
            ("generate_data", GenerateConfig), ("inspect", InspectConfig)]


@pytest.mark.parametrize("name,schema", _schemas(), ids=lambda x: x if isinstance(x, str) else "")
def test_preset_equals_dataclass_defaults(name, schema):
    assert _diff(compose(name, [], schema), schema()) == []


def test_shipped_evaluator_preset_is_the_bare_config():
    from synth.evaluator.model import EvaluatorConfig
    from synth.evaluator.train import TrainEvaluatorConfig
    assert compose("train_evaluator", [], TrainEvaluatorConfig).model == EvaluatorConfig()
    assert compose("train_evaluator", ["evaluator=tiny"], TrainEvaluatorConfig).model != EvaluatorConfig()


@pytest.mark.parametrize("method", ["enumerate", "gradient", "hybrid", "meet", "guided", "default"])
def test_search_sections_equal_method_defaults(method):
    from synth.search import get_method
    m = get_method(method)
    section = OmegaConf.to_container(compose("search"), resolve=True)[method]
    assert _diff(from_dict(m.config, section), m.config()) == []


def test_hybrid_holds_the_baselines_config():
    """The hybrid's BFS settings are an EnumerateConfig (same defaults); its clock reaches the gradient phase."""
    from synth.search.enumerate import EnumerateConfig
    from synth.search.hybrid import HybridConfig
    assert HybridConfig().enumerate == EnumerateConfig()
    cfg = from_dict(HybridConfig, {"enumerate": {"clock": "cpu"}, "gradient": {"restarts": 2}})
    assert cfg.enumerate.clock == "cpu" and cfg.gradient.clock == "cpu"
    assert (cfg.gradient.restarts, cfg.gradient.slots) == (2, 6)       # the rest of the phase's own settings
