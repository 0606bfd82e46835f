"""The Typst -> Markdown converter of report.md: LaTeX maths for the answers' subset."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dlhw.report.answers import answers_root
from dlhw.report.typst_markdown import (
    TypstConversionError,
    math_to_latex,
    typst_to_markdown,
)


@pytest.mark.parametrize("typst, latex", [
    ("x_(i j)^2", "x_{i j}^{2}"),
    ("(partial L)/(partial z_k)", r"\frac{\partial L}{\partial z_{k}}"),
    ("a \\/ b", "a / b"),
    ("e^(-t) / (1 + e^(-t))^2", r"\frac{e^{- t}}{(1 + e^{- t})^{2}}"),
    ("norm(y - z)^2 >= 0", r"\lVert y - z \rVert^{2} \geq 0"),
    ("theta in RR^(K times D), i != j", r"\theta \in \mathbb{R}^{K \times D} , i \neq j"),
    ("A = [I_K times.o phi(x)^top, I_K]", r"A = [I_{K} \otimes \phi (x)^{\top} , I_{K}]"),
    ('"relu"(z) = op("argmin", limits: #true)_(y >= 0) '
     'f', r"\operatorname{relu} (z) = \operatorname*{argmin}_{y \geq 0} f"),
    ('op("diag")(p) - p p^top', r"\operatorname{diag} (p) - p p^{\top}"),
    ('cases(1 "if" t > b, 0 '
     '"otherwise")', r"\begin{cases} 1 \text{ if } t > b \\ 0 \text{ otherwise } \end{cases}"),
    ("lambda in (0, 1], t |-> t^2", r"\lambda \in (0 , 1] , t \mapsto t^{2}"),
    ("bold(1), hat(y), abs(t) < b, plus.minus 1, x in.not "
     "S", r"\mathbf{1} , \hat{y} , \lvert t \rvert < b , \pm 1 , x \notin S"),
    ("sum_(i=1)^K exp(z_i)", r"\sum_{i = 1}^{K} \exp (z_{i})"),
    ("mat(1, 2; 3, 4)", r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
    ('"MSE"_"train" (w)', r"\text{MSE}_{\text{train}} (w)"),
])
def test_math_to_latex(typst, latex):
    assert math_to_latex(typst) == latex


def test_markup_inline_and_display_maths():
    md = typst_to_markdown("*Gradient.* With $p = sigma(z)$, _so_\n$ nabla L = p - y. $\n+ first\n- `raw_x "
                           "* y`")
    assert md.startswith(r"**Gradient.** With $p = \sigma (z)$, *so*")
    assert "\n$$\n\\nabla L = p - y .\n$$\n" in md
    assert "\n1. first\n- `raw_x * y`" in md  # numbered list; raw text untouched


@pytest.mark.parametrize("bad", ["$x_(1$", "an $unclosed formula", "#let x = 1", "`raw"])
def test_what_it_cannot_read_is_an_error(bad):
    with pytest.raises(TypstConversionError):
        typst_to_markdown(bad)


def test_every_written_answer_converts():
    """No answer falls back to raw Typst: no Typst call or symbol name survives in the maths."""
    files = sorted(Path(answers_root()).rglob("*.typ"))
    assert files
    for path in files:
        md = typst_to_markdown(path.read_text(encoding="utf-8"))
        maths = re.findall(r"\$\$(.*?)\$\$|\$(.*?)\$", md, flags=re.DOTALL)
        assert maths, path
        for display, inline in maths:
            tex = display or inline
            assert not re.search(r"\b(norm|op|bold|cases|abs|hat|RR|top|theta|partial)\(?\b(?<!\\\w)",
                                 tex.replace("\\", " \\")) \
                or all(f"\\{w}" in tex for w in re.findall(r"(?<![\\\w])(theta|partial|top)\b",
                                                           tex)), (path, tex)
            assert tex.count("{") == tex.count("}"), (path, tex)
