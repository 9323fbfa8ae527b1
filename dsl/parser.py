"""Parse program text (docs §3) with the Lark grammar in `grammar.lark`.

    prog = parse('dup mul c0 add  # square plus c0', "small")
    prog.text == "dup mul c0 add";  prog.items[0].line, prog.items[0].column == 1, 1
    parse("dup foo")  # raises DslSyntaxError: line 1, column 5: unknown op 'foo' ... (+ caret line)

A `Program` is a tuple of `Item`s (an op name or a literal value, with the position where it stood);
`Program.code` is what the machine executes. `Program.from_code(code)` is the inverse of `.code`.

Most text never reaches Lark: `parse` first tries the fast path of dsl/fastparse.py (canonical text as the
toolkit prints it, and other well-formed text), which gives the same Program, positions included, and the same
errors; Lark decides everything else.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from .ops import OPS
from .profiles import Profile, get_profile
from .values import Value, check_value, literal_text


class DslSyntaxError(ValueError):
    """The one syntax error type: `line L, column C: <what was expected>` plus the line and a caret."""

    def __init__(self, text: str, line: int, column: int, what: str):
        self.line, self.column, self.what = line, column, what
        src = text.splitlines()[line - 1] if text.splitlines()[line - 1:line] else ""
        self.caret = f"{src}\n{' ' * (column - 1)}^"
        super().__init__(f"line {line}, column {column}: {what}")

    def pretty(self) -> str:
        return f"{self}\n{self.caret}"


@dataclass(frozen=True)
class Item:
    op: str | None          # op name, or None for a literal
    value: Value = None     # the literal's value
    line: int = 0
    column: int = 0

    @property
    def text(self) -> str:
        return self.op if self.op is not None else literal_text(self.value)

    @property
    def code(self):
        """What the machine runs for it: the op name as `str`, a literal wrapped as a 1-tuple `(value,)`."""
        return self.op if self.op is not None else (self.value,)

    def __eq__(self, other):  # positions do not matter for equality
        return isinstance(other, Item) and (self.op, _key(self.value)) == (other.op, _key(other.value))

    def __hash__(self):
        return hash((self.op, _key(self.value)))


def _key(v):  # True == 1 in Python; keep literal kinds apart
    return (type(v).__name__, v)


@dataclass(frozen=True)
class Program:
    items: tuple[Item, ...]

    @classmethod
    def from_code(cls, code) -> "Program":
        """Program from machine code: op names as `str`, literals as 1-tuples (`["dup", (3,), "add"]`)."""
        return cls(tuple(Item(x) if type(x) is str else Item(None, x[0]) for x in code))

    @property
    def text(self) -> str:
        return " ".join(it.text for it in self.items)

    @cached_property
    def code(self) -> tuple:
        """What the machine runs: op names as `str`, literals wrapped as 1-tuples `(value,)` (computed once)."""
        return tuple([it.code for it in self.items])

    def __len__(self) -> int:
        return len(self.items)

    def __str__(self) -> str:
        return self.text


@lru_cache(maxsize=1)
def _lark():
    import lark   # imported on first need: files of canonical programs never pay for it
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    return lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


_NAMES = {"INT": "an integer", "STRING": "a string", "NAME": "an op name", "LBRACKET": '"["',
          "RBRACKET": '"]"', "$END": "end of text"}


def _expected(names) -> str:
    return " or ".join(sorted({_NAMES.get(n, n) for n in names}))


def parse(text: str, profile: str | Profile = "small") -> Program:
    """Parse `text` under `profile`; DslSyntaxError on any error (unknown op, bad literal, bad token)."""
    p = get_profile(profile)
    if type(text) is str:
        memo = _memo(p)
        prog = memo.texts.get(text)
        if prog is None:
            prog = _fast(text, p, memo)
            if prog is not None:
                _remember(memo.texts, text, prog)
        if prog is not None:
            return prog
    return _lark_parse(text, p)


def _lark_parse(text: str, p: Profile) -> Program:
    import lark
    try:
        tree = _lark().parse(text)
    except lark.UnexpectedCharacters as e:
        ch = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        if ch == '"':
            what = _BAD_STRING
        elif ch == "[":
            what = "unterminated list"
        else:
            what = _unexpected(ch)
        raise DslSyntaxError(text, e.line, e.column, what) from None
    except lark.UnexpectedToken as e:
        tok = e.token
        if tok.type == "$END":
            line, col = _end_pos(text)
            raise DslSyntaxError(text, line, col, f"unterminated list: expected {_expected(e.expected)}") from None
        raise DslSyntaxError(text, tok.line, tok.column,
                             f"unexpected {str(tok)!r}; expected {_expected(e.expected)}") from None
    except lark.UnexpectedEOF as e:  # pragma: no cover - lalr reports UnexpectedToken($END)
        line, col = _end_pos(text)
        raise DslSyntaxError(text, line, col, f"unexpected end; expected {_expected(e.expected)}") from None
    return Program(tuple(_item(node, text, p) for node in tree.children))


def _end_pos(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def _item(node, text: str, p: Profile) -> Item:
    kind = node.data
    tok = node.children[0]
    line, col = tok.line, tok.column
    if kind == "name":
        name = str(tok)
        if name in ("true", "false"):
            return Item(None, name == "true", line, col)
        if name not in p.ops:
            raise DslSyntaxError(text, line, col, _unknown_op(name, p))
        return Item(name, None, line, col)
    if kind == "int_lit":
        value = int(tok)
    elif kind == "str_lit":
        value = str(tok)[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    else:
        ints = [c for c in node.children if c.type == "INT"]
        bad = _first_bad(ints, p)
        if bad is not None:
            raise DslSyntaxError(text, bad.line, bad.column, _bad_element(str(bad), p))
        value = tuple(int(c) for c in ints)
    reason = check_value(value, p)
    if reason:
        raise DslSyntaxError(text, line, col, _bad_literal(reason, p))
    return Item(None, value, line, col)


_BAD_STRING = 'unterminated string or bad escape (only \\" and \\\\) or no space after it'


def _unexpected(ch: str) -> str:
    return f"unexpected {ch!r}; expected an item (integer, string, list, true, false or an op name) " \
           "separated by white space"


def _unknown_op(name: str, p: Profile) -> str:
    where = "" if name not in OPS else f" (not in profile '{p.name}')"
    return f"unknown op {name!r}{where}; expected an op of profile '{p.name}', a literal, true or false"


def _bad_element(text: str, p: Profile) -> str:
    return f"list element {text} outside {p.int_min}..{p.int_max}"


def _bad_literal(reason: str, p: Profile) -> str:
    return f"literal out of profile '{p.name}' limits: {reason}"


def _first_bad(ints, p: Profile):
    return next((c for c in ints if not p.int_ok(int(c))), None)


from .fastparse import _fast, _memo, _remember  # noqa: E402  (the fast path uses the names above)
