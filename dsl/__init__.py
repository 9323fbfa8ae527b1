"""dsl: the stack language of synth (docs/language.md), pure Python, never imports torch.

    from dsl import parse, run, trace, load_tasks, get_profile
    run(parse("dup mul"), [3]).stack == (9,)
"""
from .machine import Result, Step, matches, run, trace
from .ops import OPS, Fail, Op, out_types
from .parser import DslSyntaxError, Item, Program, parse
from .profiles import PROFILES, Profile, get_profile
from .tasks import Example, Task, TaskError, load_tasks, parse_tasks
from .values import Value, from_json, literal_text, to_json, type_of
from .abstract import LEVELS, abstract, abstract_stack, level_of, run_abstract, transfer
from .graph import AbstractGraph, can_reach, first_ops, min_steps

__all__ = ["Result", "Step", "matches", "run", "trace", "OPS", "Fail", "Op", "out_types",
           "DslSyntaxError", "Item", "Program", "parse", "PROFILES", "Profile", "get_profile",
           "Example", "Task", "TaskError", "load_tasks", "parse_tasks", "Value", "from_json",
           "literal_text", "to_json", "type_of", "LEVELS", "abstract", "abstract_stack", "level_of",
           "run_abstract", "transfer", "AbstractGraph", "can_reach", "first_ops", "min_steps"]
