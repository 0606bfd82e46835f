"""Typst markup -> Markdown with LaTeX maths, for the answers in ``report.md``.

The written answers and discussions are Typst source. The PDF typesets them; the Markdown twin
shows them as Markdown whose mathematics is LaTeX between ``$...$`` (inline) or ``$$...$$``
(display), which GitHub, Jupyter and pandoc render. This covers the subset the answers use:

- markup: ``*strong*``, ``_emphasis_``, raw ``backticks``, ``- `` and ``+ `` lists, ``= `` headings,
  backslash escapes, ``~`` (non-breaking space);
- maths: sub/superscripts with grouped operands (``x_(i j)^2``), fractions (``(a + b)/c``, with the
  operands' parentheses dropped), escaped slashes (``a \\/ b``), ``"text"``, Greek letters and the
  usual symbols (``RR``, ``in.not``, ``times.o``, ``plus.minus``, ``top``, ``partial``, ``nabla``,
  ``infinity`` ...), operators (``sum``, ``log``, ``max`` ...), ``!=``, ``>=``, ``->``, ``|->``,
  and the calls ``norm``, ``abs``, ``bold``, ``hat``, ``tilde``, ``bar``, ``vec``, ``op``,
  ``cases``, ``mat``, ``sqrt``, ``upright``, ``frac``.

An unknown multi-letter name becomes ``\\operatorname{name}``. :func:`typst_to_markdown` raises
:class:`TypstConversionError` on what it cannot read (an unbalanced ``$`` or bracket, Typst code
such as ``#let`` in the markup); the Markdown renderer then shows the Typst source instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
         "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma",
         "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega"]
SYMBOLS = {
    "RR": r"\mathbb{R}", "NN": r"\mathbb{N}", "ZZ": r"\mathbb{Z}", "QQ": r"\mathbb{Q}", "CC": r"\mathbb{C}",
    "in": r"\in", "in.not": r"\notin", "times": r"\times", "times.o": r"\otimes", "dot": r"\cdot",
    "dot.op": r"\cdot", "dot.c": r"\cdot", "plus.minus": r"\pm", "minus.plus": r"\mp", "top": r"\top",
    "partial": r"\partial", "nabla": r"\nabla", "infinity": r"\infty", "oo": r"\infty",
    "approx": r"\approx", "quad": r"\quad", "qquad": r"\qquad", "dots": r"\dots", "dots.c": r"\cdots",
    "dots.h": r"\ldots", "dots.v": r"\vdots", "ast": r"\ast", "star": r"\star", "ell": r"\ell",
    "forall": r"\forall", "exists": r"\exists", "emptyset": r"\emptyset", "subset": r"\subset",
    "subset.eq": r"\subseteq", "supset": r"\supset", "union": r"\cup", "sect": r"\cap",
    "arrow.r": r"\rightarrow", "arrow.l": r"\leftarrow", "arrow.r.double": r"\Rightarrow",
    "circle.stroked.tiny": r"\circ", "compose": r"\circ", "prop": r"\propto", "equiv": r"\equiv",
    "lt.eq": r"\leq", "gt.eq": r"\geq", "eq.not": r"\neq", "minus": "-", "plus": "+", "dif": r"\mathrm{d}",
    "epsilon.alt": r"\varepsilon", "phi.alt": r"\varphi", "theta.alt": r"\vartheta",
    "sigma.alt": r"\varsigma",
    "norm": r"\Vert", "bar.v": "|", "bar.v.double": r"\Vert", "colon": ":", "comma": ",",
    "and": r"\wedge", "or": r"\vee", "not": r"\neg", "perp": r"\perp", "sim": r"\sim", "tilde.op": r"\sim",
}
OPERATORS = ["sum", "prod", "integral", "exp", "log", "ln", "max", "min", "sup", "inf", "lim", "det", "sin",
             "cos", "tan", "tanh", "sinh", "cosh", "arg", "gcd", "Pr"]
_OPERATOR_TEX = {"integral": r"\int"}
ACCENTS = {"hat": r"\hat", "tilde": r"\tilde", "bar": r"\bar", "dot": r"\dot", "vec": None,
           "overline": r"\overline", "underline": r"\underline", "sqrt": r"\sqrt",
           "bold": r"\mathbf", "upright": r"\mathrm", "italic": r"\mathit", "cal": r"\mathcal",
           "bb": r"\mathbb", "frak": r"\mathfrak", "serif": r"\mathrm", "sans": r"\mathsf"}
MULTI_OPS = [("<==>", r"\Leftrightarrow"), ("==>", r"\implies"), ("<=>", r"\Leftrightarrow"),
             ("|->", r"\mapsto"), ("...", r"\ldots"), ("!=", r"\neq"), (">=", r"\geq"), ("<=", r"\leq"),
             ("->", r"\to"), ("=>", r"\Rightarrow"), ("<<", r"\ll"), (">>", r"\gg"), ("<-", r"\leftarrow"),
             ("||", r"\Vert")]
_TOKEN = re.compile(r"""
    (?P<ws>\s+) | (?P<str>"(?:[^"\\]|\\.)*") | (?P<esc>\\.) |
    (?P<name>[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z]+)*) | (?P<num>\d+(?:\.\d+)?) |
    (?P<hash>\#[A-Za-z]+) | (?P<op>""" + "|".join(re.escape(o) for o, _ in MULTI_OPS) + r""") |
    (?P<ch>.)""", re.VERBOSE | re.DOTALL)
_OPEN, _CLOSE = "([{", ")]}"


class TypstConversionError(ValueError):
    """The Typst source uses something outside the converted subset (or is malformed)."""


@dataclass
class _Tok:
    kind: str
    text: str


def _tokens(src: str) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(src):
        kind = m.lastgroup or "ch"
        out.append(_Tok(kind, m.group()))
    return out


class _MathParser:
    """Recursive descent over Typst math tokens, producing LaTeX."""

    def __init__(self, src: str) -> None:
        self.toks = _tokens(src)
        self.i = 0

    # -- helpers --------------------------------------------------------------------------
    def peek(self, skip_ws: bool = False) -> _Tok | None:
        j = self.i
        while skip_ws and j < len(self.toks) and self.toks[j].kind == "ws":
            j += 1
        return self.toks[j] if j < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def skip_ws(self) -> None:
        while self.i < len(self.toks) and self.toks[self.i].kind == "ws":
            self.i += 1

    # -- grammar --------------------------------------------------------------------------
    def sequence(self, stop: str = "", commas: bool = False) -> str:
        """Items until a closing bracket in ``stop`` (or ``,``/``;`` when ``commas``)."""
        parts: list[str] = []
        while (tok := self.peek()) is not None:
            if tok.kind == "ch" and (tok.text in stop or tok.text in _CLOSE):
                break
            if commas and tok.kind == "ch" and tok.text in ",;":
                break
            if tok.kind == "ws":
                self.take()
                continue
            item, bare = self.attached()
            # a fraction: the item before "/" and the one after, their parentheses dropped
            nxt = self.peek(skip_ws=True)
            if nxt is not None and nxt.kind == "ch" and nxt.text == "/":
                self.skip_ws()
                self.take()
                self.skip_ws()
                _, den_bare = self.attached()
                item = rf"\frac{{{bare}}}{{{den_bare}}}"
            parts.append(item)
        return " ".join(p for p in parts if p)

    def attached(self) -> tuple[str, str]:
        """An atom with its ``_`` / ``^`` attachments: (LaTeX, LaTeX without outer parentheses)."""
        atom, bare = self.atom()
        attached = False
        while (tok := self.peek()) is not None and tok.kind == "ch" and tok.text in "_^'":
            self.take()
            if tok.text == "'":
                atom += "'"
                attached = True
                continue
            _, arg = self.atom()
            atom += f"{tok.text}{{{arg}}}"
            attached = True
        return atom, (atom if attached else bare)

    def atom(self) -> tuple[str, str]:
        """One operand: (as written, with its outer parentheses dropped)."""
        tok = self.peek()
        if tok is None:
            raise TypstConversionError("an operand is missing at the end of a formula")
        if tok.kind == "ch" and tok.text in _OPEN:
            return self.group()
        self.take()
        if tok.kind == "name":
            return self.name(tok.text)
        if tok.kind == "num":
            return tok.text, tok.text
        if tok.kind == "str":
            text = tok.text[1:-1].replace('\\"', '"')
            nxt = self.peek()
            if re.fullmatch(r"[A-Za-z]+", text) and nxt is not None and nxt.text == "(":
                tex = rf"\operatorname{{{text}}}"  # a named function: "relu"(z)
            elif not text.strip():
                tex = r"\ "
            else:  # words ("if", "i.e.") keep spaces around; an attached "MSE"_"train" none
                prev = self.toks[self.i - 2] if self.i >= 2 else None
                spaced = not ((prev is not None and prev.text in "_^")
                              or (nxt is not None and nxt.text in "_^"))
                tex = rf"\text{{ {text} }}" if spaced else rf"\text{{{text}}}"
            return tex, tex
        if tok.kind == "esc":
            ch = tok.text[1]
            tex = {"/": "/", "{": r"\{", "}": r"\}", "\\": r"\\", "$": r"\$", "#": r"\#"}.get(ch, ch)
            return tex, tex
        if tok.kind == "op":
            tex = dict(MULTI_OPS)[tok.text]
            return tex, tex
        if tok.kind == "hash":
            return "", ""
        if tok.text in _CLOSE:
            raise TypstConversionError(f"unbalanced {tok.text!r} in a formula")
        tex = {"&": "&", "%": r"\%", "~": r"\sim", "#": r"\#"}.get(tok.text, tok.text)
        return tex, tex

    def group(self) -> tuple[str, str]:
        """A bracketed group; ``(`` and ``[`` may close with either (intervals: ``(0, 1]``)."""
        open_ = self.take().text
        closers = "}" if open_ == "{" else ")]"
        inner = self.sequence(stop=closers)
        end = self.peek()
        if end is None or end.text not in closers:
            raise TypstConversionError(f"unbalanced {open_!r} in a formula")
        close = self.take().text
        if open_ == "{":
            return rf"\{{ {inner} \}}", inner
        if open_ + close == "()" and "\\frac" in inner:
            return rf"\left({inner}\right)", inner
        return f"{open_}{inner}{close}", inner

    def arguments(self) -> list[list[str]]:
        """``(a, b; c, d)`` after a call's name: rows (split at ``;``) of arguments (at ``,``)."""
        self.take()  # "("
        rows: list[list[str]] = [[]]
        while True:
            self.skip_ws()
            rows[-1].append(self.sequence(stop=")", commas=True))
            tok = self.peek()
            if tok is None:
                raise TypstConversionError("unbalanced '(' in a call")
            self.take()
            if tok.text == ")":
                return rows
            if tok.text == ";":
                rows.append([])

    def name(self, name: str) -> tuple[str, str]:
        nxt = self.peek()
        call = nxt is not None and nxt.kind == "ch" and nxt.text == "("
        if call and name in ("norm", "abs"):
            (args,) = self.arguments()
            left, right = (r"\lVert", r"\rVert") if name == "norm" else (r"\lvert", r"\rvert")
            tex = f"{left} {args[0]} {right}"
            return tex, tex
        if call and name == "vec":
            rows = self.arguments()
            tex = r"\begin{pmatrix} " + r" \\ ".join(a for row in rows for a in row) + r" \end{pmatrix}"
            return tex, tex
        if call and name in ACCENTS:
            (args,) = self.arguments()
            tex = f"{ACCENTS[name]}{{{args[0]}}}"
            return tex, tex
        if call and name == "frac":
            (args,) = self.arguments()
            tex = rf"\frac{{{args[0]}}}{{{args[1]}}}"
            return tex, tex
        if call and name == "op":
            (args,) = self.arguments()
            text = re.sub(r"^\\operatorname\{(.*)\}$|^\\text\{ ?(.*?) ?\}$", lambda m: m[1] or m[2], args[0])
            limits = any("limits" in a and "false" not in a for a in args[1:])
            tex = rf"\operatorname*{{{text}}}" if limits else rf"\operatorname{{{text}}}"
            return tex, tex
        if call and name == "cases":
            (args,) = self.arguments()
            tex = r"\begin{cases} " + r" \\ ".join(args) + r" \end{cases}"
            return tex, tex
        if call and name == "mat":
            rows = self.arguments()
            tex = r"\begin{pmatrix} " + r" \\ ".join(" & ".join(r) for r in rows) + r" \end{pmatrix}"
            return tex, tex
        if call and name == "lr":
            (args,) = self.arguments()
            return args[0], args[0]
        tex = self.symbol(name)
        return tex, tex

    @staticmethod
    def symbol(name: str) -> str:
        if len(name) == 1 or name.isdigit():
            return name
        if name in SYMBOLS:
            return SYMBOLS[name]
        if name in GREEK:
            return "\\" + name
        base, _, mod = name.partition(".")
        if base in GREEK and mod == "alt":
            return "\\var" + base
        if name in OPERATORS:
            return _OPERATOR_TEX.get(name, "\\" + name)
        return rf"\operatorname{{{name}}}"


def math_to_latex(src: str) -> str:
    """One Typst formula (the text between ``$`` signs) as LaTeX."""
    parser = _MathParser(src)
    out = parser.sequence()
    if parser.peek() is not None:
        raise TypstConversionError(f"unbalanced {parser.peek().text!r} in a formula")
    return out


_MD_PASS = set("\\`*_{}[]<>#|!$")  # escaped characters that Markdown needs escaped too


def _markup_text(text: str) -> str:
    """Typst markup outside maths and raw text -> Markdown."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "\n":
                out.append("  \n")
            else:
                out.append("\\" + nxt if nxt in _MD_PASS else nxt)
            i += 2
            continue
        if ch == "*":
            out.append("**")
        elif ch == "_":
            out.append("*")
        elif ch == "~":
            out.append("\u00a0")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _line_starts(text: str) -> str:
    """List items and headings at line starts: ``+ `` -> ``1. ``, ``= `` -> ``#### ``."""
    text = re.sub(r"(?m)^(\s*)\+ ", r"\g<1>1. ", text)
    return re.sub(r"(?m)^(=+) ", lambda m: "#" * (len(m[1]) + 3) + " ", text)


def typst_to_markdown(source: str) -> str:
    """Typst markup (the answers' subset, see the module docstring) as Markdown with ``$`` maths."""
    out: list[str] = []
    i, n = 0, len(source)
    text_start = 0

    def flush(end: int) -> None:
        out.append(_markup_text(_line_starts(source[text_start:end])))

    while i < n:
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "#" and source[i + 1:i + 2].isalpha():
            raise TypstConversionError(f"Typst code ({source[i:i + 12]!r}...) is outside the converted "
                                       f"subset")
        if ch == "`":
            ticks = re.match(r"`+", source[i:])[0]
            end = source.find(ticks, i + len(ticks))
            if end < 0:
                raise TypstConversionError("an unclosed raw text (backtick)")
            flush(i)
            out.append(source[i:end + len(ticks)])
            i = text_start = end + len(ticks)
            continue
        if ch == "$":
            end = i + 1
            while end < n and (source[end] != "$" or source[end - 1] == "\\"):
                end += 1
            if end >= n:
                raise TypstConversionError("an unclosed formula ($)")
            flush(i)
            body = source[i + 1:end]
            latex = math_to_latex(body)
            display = len(body) > 1 and body[0].isspace() and body[-1].isspace()
            out.append(f"\n\n$$\n{latex}\n$$\n\n" if display else f"${latex}$")
            i = text_start = end + 1
            continue
        i += 1
    flush(n)
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip() + "\n"
