"""Parse program text (SPEC §3) with the Lark grammar in `grammar.lark`.

    prog = parse('dup mul c0 add  # square plus c0', "small")
    prog.text == "dup mul c0 add";  prog.items[0].line, prog.items[0].column == 1, 1
    parse("dup foo")  # raises DslSyntaxError: line 1, column 5: unknown op 'foo' ... (+ caret line)

A `Program` is a tuple of `Item`s (an op name or a literal value, with the position where it stood);
`Program.code` is what the machine executes. `Program.from_code(code)` is the inverse of `.code`.

Text in canonical form (items separated by single spaces; op names, ints, `true`, `false` and lists of ints
written plainly, as the toolkit prints them) takes a fast path: split on spaces, look each word up, no parse
tree. Everything else, and every error, goes through Lark, so both give the same Program, positions
included, and the same errors (tests/test_parser_fast.py checks this on generated and hostile texts).
"""
from __future__ import annotations

import re
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
        return tuple(it.op if it.op is not None else (it.value,) for it in self.items)

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



# ---- the fast path: canonical text (and plain white space) without a parse tree
_INT = re.compile(r"-?[0-9]+")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_LIST = re.compile(r"\[(?:-?[0-9]+(?: -?[0-9]+)*)?\]")
_STRING = re.compile(r'"(?:[^"\\\n]|\\["\\])*"')
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\["\\])*"|\[[^\["\]]*\](?= |$)|[^ ]+')   # a word of canonical text
_ODD = re.compile(r"[\t\n\r\f]|  |^ | $")      # white space other than single spaces between words
_ODD_SPACE = re.compile(r"[\t\n\r\f]")
_WORD = re.compile(r"[^ \t\f\r\n]+")             # a word between Lark's white space characters
_COMMENT = re.compile(r"#[^\n]*")
_GAP = r"(?:[ \t\f\r\n]|#[^\n]*+)*"               # white space and comments (a comment runs to the line end)
_LEX = re.compile(                                 # Lark's terminals (grammar.lark); `item` for the non-ignored
    r"[ \t\f\r\n]+|#[^\n]*+|(?P<item>"
    r'"(?:[^"\\\n]|\\["\\])*"(?=[\s#]|$)'
    r"|\[" + _GAP + r"(?:-?[0-9]+(?=[\s#\]]|$)" + _GAP + r")*\](?=[\s#]|$)"
    r"|-?[0-9]+(?=[\s#\]]|$)|[a-z][a-z0-9_]*(?=[\s#\]]|$))")
_ELEMENT = re.compile(r"#[^\n]*|(-?[0-9]+)")
_CLOSES = re.compile(r"[\s#]")                     # what may follow a closing bracket
_LARK_STRING = re.compile(r'"(?:[^"\\\n]|\\["\\])*"(?=[\s#]|$)')
_NO_TOKEN = re.compile(r'[^\s#\[\]"]+')           # a word where no token can start: Lark fails at its start
_MEMO_MAX = 100_000        # entries of a memo before it starts afresh


class _Memo:
    """Per profile: the fast paths' memos and the op names as a set."""

    def __init__(self, p: Profile):
        self.p, self.ops = p, frozenset(p.ops)
        self.texts, self.words = {}, {}            # _fast's: {text: Program}, {(word, column): Item}
        self.codes, self.code_words = {}, {}       # fast_code's: {text: code}, {word: code item}


_MEMOS: dict[int, _Memo] = {}  # by id(profile): hashing a Profile hashes its op tuple, too slow per call


def _memo(p: Profile) -> _Memo:
    m = _MEMOS.get(id(p))
    if m is None or m.p is not p:
        m = _MEMOS[id(p)] = _Memo(p)
    return m


def _remember(memo: dict, key, value) -> None:
    if len(memo) >= _MEMO_MAX:   # a bound on memory: start afresh
        memo.clear()
    memo[key] = value


def _canonical_words(text: str) -> list[str] | None:
    """The words of `text` when they are separated by single spaces (a string or list literal is one word)."""
    if '"' in text or "[" in text:
        if _ODD_SPACE.search(text):
            return None
        words = _TOKEN.findall(text)
        return words if " ".join(words) == text else None
    return None if "#" in text or _ODD.search(text) else text.split(" ")


def fast_code(text: str, p: Profile) -> tuple | None:
    """`parse(text, p).code` for canonical text whose every word is valid (no Items built: what a runs file
    needs); None for any other text, which must go through `parse`."""
    memo = _memo(p)
    code = memo.codes.get(text)
    if code is None:
        words = _canonical_words(text) if text else None
        if words is None:
            return None
        known = memo.code_words
        try:
            code = tuple([known[w] for w in words])
        except KeyError:
            items = []
            for w in words:
                c = known.get(w)
                if c is None:
                    it = _fast_item(w, 1, 1, p, memo.ops, w)
                    if type(it) is not Item:
                        return None
                    c = w if it.op is not None else (it.value,)
                    _remember(known, w, c)
                items.append(c)
            code = tuple(items)
        _remember(memo.codes, text, code)
    return code


def _fast(text: str, p: Profile, memo: _Memo) -> Program | None:
    """The Program of `text` when its words are separated by single spaces (canonical), or by any white space
    and comments when it has no string or list literal; raising Lark's error for an unknown op, an
    out-of-range literal or a word where no token can start. None when Lark must decide (any other text,
    and the other errors)."""
    if not text:
        return Program(())
    words = _canonical_words(text)
    items, err = [], None
    if words is not None:                            # canonical: words at known columns of line 1
        known, ops, col = memo.words, memo.ops, 1
        for w in words:
            it = known.get((w, col))
            if it is None:
                it = _fast_item(w, 1, col, p, ops, text)
                if it is None:                       # e.g. a comment: the lexer decides
                    return _lexed(text, p, memo) if '"' in text or "[" in text or "#" in text else None
                if type(it) is tuple:                # a lexer error comes before any other
                    raise it[0]
                if type(it) is DslSyntaxError:
                    err = err or it
                else:
                    _remember(known, (w, col), it)
            items.append(it)
            col += len(w) + 1
    elif '"' in text or "[" in text:                # literals and any white space: a lexer for valid text
        return _lexed(text, p, memo)
    else:                                            # other white space and comments: positions from the text
        plain = _COMMENT.sub(lambda m: " " * len(m.group()), text) if "#" in text else text
        for m in _WORD.finditer(plain):
            start = m.start()
            line, col = text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)
            it = _fast_item(m.group(), line, col, p, memo.ops, text)
            if it is None:
                return None
            if type(it) is tuple:
                raise it[0]
            if type(it) is DslSyntaxError:
                err = err or it
            items.append(it)
    if err is not None:
        raise err
    return Program(tuple(items))


def _lexed(text: str, p: Profile, memo: _Memo) -> Program | None:
    """The Program of a text with string or list literals in any layout, lexed by Lark's own terminals; raises
    Lark's error where no terminal matches (outside a list), else that of the first item that breaks the
    profile; None where Lark must decide (a bracket where no list can be lexed)."""
    items, err, pos, n = [], None, 0, len(text)
    while pos < n:
        m = _LEX.match(text, pos)
        if m is None:    # no terminal here, outside any list: Lark's lexer fails at this character too
            ch = text[pos]
            if ch in "[]":
                return None
            line, col = text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
            raise DslSyntaxError(text, line, col, _BAD_STRING if ch == '"' else _unexpected(ch))
        pos = m.end()
        if m.group("item") is None:
            continue
        start, w = m.start(), m.group()
        line, col = text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)
        if w[0] == "[":
            it = _list_item(w, start, line, col, p, text)
        else:
            it = _fast_item(w, line, col, p, memo.ops, text)
        if type(it) is not Item:
            err = err or it
        items.append(it)
    if err is not None:
        raise err
    return Program(tuple(items))


def _list_item(w: str, start: int, line: int, col: int, p: Profile, text: str):
    """Item of a list literal lexed at `start` (elements among any white space and comments), or its error."""
    ints = [(int(m.group(1)), m.start(1)) for m in _ELEMENT.finditer(w) if m.group(1)]
    for x, off in ints:
        if not p.int_ok(x):
            at = start + off
            return DslSyntaxError(text, text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at),
                                  _bad_element(str(x), p))
    value = tuple(x for x, _ in ints)
    reason = check_value(value, p)
    return Item(None, value, line, col) if reason is None else DslSyntaxError(text, line, col, _bad_literal(reason, p))


def _fast_item(w: str, line: int, col: int, p: Profile, ops: frozenset, text: str):
    """The Item of one word; a DslSyntaxError (returned, not raised) for an unknown op or a literal out of
    the profile's limits, exactly as Lark's path reports it; (DslSyntaxError,) for a word where no token can
    start, as Lark's lexer reports it; None when Lark must decide."""
    if w in ops:
        return Item(w, None, line, col)
    if _NAME.fullmatch(w):
        if w == "true" or w == "false":
            return Item(None, w == "true", line, col)
        return DslSyntaxError(text, line, col, _unknown_op(w, p))
    if _INT.fullmatch(w):
        value = int(w)
    elif _STRING.fullmatch(w):
        value = w[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    elif _LIST.fullmatch(w):
        parts = w[1:-1].split(" ") if len(w) > 2 else []
        at = col + 1
        for x in parts:
            if not p.int_ok(int(x)):
                return DslSyntaxError(text, line, at, _bad_element(x, p))
            at += len(x) + 1
        value = tuple(int(x) for x in parts)
    elif _NO_TOKEN.fullmatch(w):
        return (DslSyntaxError(text, line, col, _unexpected(w[0])),)
    elif w[0] == '"' and line == 1 and " ".join(_TOKEN.findall(text)) == text:
        # canonical text: a word opening a string that is not one whole string literal means no string
        # literal can start here (_TOKEN tries one first), so Lark's lexer fails at this quote
        return (DslSyntaxError(text, line, col, _BAD_STRING),)
    elif w[0] == "[" and line == 1:
        err = _list_error(text, col)
        return None if err is None else (err,)
    else:
        return None
    reason = check_value(value, p)
    return Item(None, value, line, col) if reason is None else DslSyntaxError(text, line, col, _bad_literal(reason, p))


def _list_error(text: str, col: int) -> DslSyntaxError | None:
    """Lark's error for canonical `text` whose list opened at `col` is not a canonical list: inside it only
    integers may follow, so the first other word is unexpected, or the text ends inside the list. None when a
    word needs Lark to decide (anything with a quote, a bracket or a comment)."""
    at = col + 1
    for piece in text[col:].split(" "):
        if piece and not _INT.fullmatch(piece):
            if _NAME.fullmatch(piece):
                return DslSyntaxError(text, 1, at, f"unexpected {piece!r}; expected {_expected(('INT', 'RBRACKET'))}")
            if _NO_TOKEN.fullmatch(piece) or piece[0] == "]" and len(piece) > 1 and not _CLOSES.match(piece, 1):
                return DslSyntaxError(text, 1, at, _unexpected(piece[0]))   # `]` closes only before a space
            if piece[0] == '"':
                m = _LARK_STRING.match(text, at - 1)
                if m is None:
                    return DslSyntaxError(text, 1, at, _BAD_STRING)
                return DslSyntaxError(text, 1, at, f"unexpected {m.group()!r}; expected {_expected(('INT', 'RBRACKET'))}")
            return None
        at += len(piece) + 1
    line, end = _end_pos(text)
    return DslSyntaxError(text, line, end, f"unterminated list: expected {_expected(('INT', 'RBRACKET'))}")
