"""A registered module's parameters, read from its constructor and its numpydoc docstring.

``wcc verilog MODULE --help`` lists them and ``wcc verilog`` parses them; the generated
file's header shows every one with the value it was built with. The constructor's signature
gives the names, defaults and types; the ``Parameters`` section of the docstring gives the
help text and, for a choice, the allowed values (``primitive : {"generic", "ecp5"}``).
Nothing is listed twice, so a new constructor parameter reaches the command line by itself.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shlex
from dataclasses import dataclass

from synth import designs

__all__ = ["Param", "command_line", "doc_section", "effective", "parameters"]


@dataclass(frozen=True)
class Param:
    """One constructor parameter.

    ``kind`` is ``"int"``, ``"bool"`` or ``"str"``; ``optional`` when ``None`` is allowed
    (written ``none`` on the command line); ``choices`` from the docstring, if any."""

    name: str
    kind: str
    default: object
    optional: bool = False
    choices: tuple = ()
    help: str = ""

    def parse(self, text: str):
        """The value of ``text`` for this parameter; ``ValueError`` naming it if invalid."""
        if self.optional and text.lower() == "none":
            return None
        if self.kind == "int":
            try:
                return int(text, 0)
            except ValueError:
                raise ValueError(f"{self.name} must be an integer, got {text!r}") from None
        if self.kind == "bool":
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name} must be true or false, got {text!r}")
        if self.choices and text not in self.choices:
            raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, "
                             f"got {text!r}")
        return text


def _resolve(target: str):
    mod_name, _, name = target.partition(":")
    return getattr(importlib.import_module(mod_name), name)


def doc_section(obj, title: str = "Parameters") -> dict[str, tuple[str, str]]:
    """``name -> (type text, description)`` from a numpydoc section of ``obj``'s docstring
    (``Parameters``, or ``Members`` for a component's ports)."""
    doc = inspect.getdoc(obj) or ""
    section = re.search(rf"^{title}\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.M | re.S)
    out: dict[str, tuple[str, str]] = {}
    if section is None:
        return out
    current: list[str] = []
    for line in section.group(1).splitlines():
        head = re.match(r"^(\w[\w, ]*?)\s*:\s*(.*)$", line)
        if head and not line.startswith(" "):
            current = [n.strip() for n in head.group(1).split(",")]
            for n in current:
                out[n] = (head.group(2).strip(), "")
        elif current and line.strip():
            for n in current:
                kind, text = out[n]
                out[n] = (kind, f"{text} {line.strip()}".strip())
    return {name: (kind, _plain(text)) for name, (kind, text) in out.items()}


def _plain(text: str) -> str:
    """reStructuredText markup out of a description: ``x`` and :class:`x` read as x."""
    return re.sub(r":\w+:`~?([^`]+)`", r"\1", text).replace("``", "")


def _kind(annotation, default) -> tuple[str, bool] | None:
    """``(kind, optional)`` of a parameter, or ``None`` if the command line cannot give it."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    if text in ("", "inspect._empty", "_empty"):
        text = type(default).__name__ if default is not None else ""
    parts = {p.strip() for p in text.split("|")}
    optional = "None" in parts
    parts.discard("None")
    if parts in ({"int"}, {"bool"}, {"str"}):
        return parts.pop(), optional
    return None


def parameters(design: designs.Design) -> list[Param]:
    """The parameters of ``design`` a command line can set, in the constructor's order.

    Parameters such as ``tag_layout`` (a Python layout object) have no text form and are
    left at their defaults."""
    targets = [design.target] + ([design.kwargs_of] if design.kwargs_of else [])
    found: dict[str, Param] = {}
    for target in targets:
        obj = _resolve(target)
        docs = doc_section(obj)
        for p in inspect.signature(obj).parameters.values():
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name in found:
                continue
            default = None if p.default is p.empty else p.default
            kind = _kind(p.annotation, default)
            if kind is None:
                continue
            type_text, text = docs.get(p.name, ("", ""))
            choices = tuple(re.findall(r'"([^"]+)"', type_text)) if "{" in type_text else ()
            found[p.name] = Param(p.name, kind[0], default, kind[1], choices, text)
    return list(found.values())


def effective(design: designs.Design, params: dict) -> dict:
    """Every parameter's value when built with ``params`` (the others at their defaults)."""
    out = {p.name: p.default for p in parameters(design)}
    out.update(params)
    return out


def command_line(design: designs.Design, params: dict) -> str:
    """The ``wcc verilog`` command that builds ``design`` with ``params``."""
    words = ["wcc", "verilog", design.module]
    for name, value in params.items():
        text = "none" if value is None else str(value).lower() if isinstance(value, bool) \
            else str(value)
        words += [f"--{name.replace('_', '-')}", text]
    return shlex.join(words)
