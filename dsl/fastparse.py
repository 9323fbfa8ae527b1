"""The parser's fast path: the Program of text in canonical form (and of other well-formed text) without Lark's
parse tree, and the errors Lark would give where they can be told without it.

    fast_code("dup 3 add", get_profile("small")) == ("dup", (3,), "add")   # what a runs file needs; None: use parse
    parse(text, p)   # dsl.parser.parse tries `_fast` first and falls back to Lark when it returns None

Three readers, from cheapest: canonical text (words separated by single spaces; a string or list literal is
one word) is split and each word looked up in a memo; text with other white space and comments but no literal
of a string or list is split on Lark's white space; any other text is lexed with Lark's own terminals
(grammar.lark) in one regex. Each stops (None) where it cannot be sure; then Lark decides. The errors it
raises are the ones Lark's path raises, message, line and column alike: an unknown op, a literal out of the
profile's limits, a word where no token can start, a bad string, an unterminated or broken list.
tests/test_parser_fast.py checks all of it against Lark on generated and random texts.
"""
from __future__ import annotations

import re

from .parser import (_BAD_STRING, DslSyntaxError, Item, Program, _bad_element, _bad_literal, _end_pos, _expected,
                     _unexpected, _unknown_op)
from .profiles import Profile
from .values import check_value

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
