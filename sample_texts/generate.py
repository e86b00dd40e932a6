#!/usr/bin/env python3
"""Regenerate the synthetic sample corpora of BPTT Scope.

Usage:  python sample_texts/generate.py

Writes periodic.txt, brackets.txt, long_gap.txt and code.txt next to this
script. Standard library only; every corpus uses random.Random(SEED), so two
runs always produce byte-identical files.
"""
import random
from pathlib import Path

SEED = 20240611
HERE = Path(__file__).resolve().parent
PAIRS = {"(": ")", "[": "]", "{": "}"}


def periodic(n_repeats=240):
    """A 13-character cycle; 'l' and 'o' recur, so a little context is needed."""
    return "hello world!\n" * n_repeats


def bracket_expr(rng, depth, max_depth=6):
    """One or more sibling groups; each group may contain a nested expression."""
    groups = []
    for _ in range(rng.randint(1, 2)):
        opener = rng.choice("([{")
        go_deeper = depth < max_depth and rng.random() < 0.75
        inner = bracket_expr(rng, depth + 1, max_depth) if go_deeper else ""
        groups.append(opener + inner + PAIRS[opener])
    return "".join(groups)


def brackets(rng, target_bytes=20_000, max_len=60):
    """Balanced nested brackets, depth <= 6, one expression per line."""
    lines, size = [], 0
    while size < target_bytes:
        line = bracket_expr(rng, 1)
        if len(line) <= max_len:
            lines.append(line)
            size += len(line) + 1
    return "\n".join(lines) + "\n"


def long_gap(k, n_lines, rng, symbols="abcd", filler="."):
    """Lines '<c><k fillers><c>': the last character must repeat the first."""
    return "".join(f"{c}{filler * k}{c}\n" for c in (rng.choice(symbols) for _ in range(n_lines)))


# ---- code.txt: a small grammar for Python-like code -------------------------
NOUNS = ("cargo ember lantern orchard pebble quota ripple signal tile voucher "
         "sprocket bucket cursor harbor meadow parcel token kettle marble").split()
VERBS = ("load merge scale sort trim count render parse gather shift blend check measure route "
         "fold").split()
ADJS = "total next last raw small fresh spare inner outer prime".split()
KINDS = "Buffer Table Queue Store Tracker Ledger".split()
COMMENTS = ["keep the running sum small", "skip empty entries", "this mirrors the loop above",
            "guard against a zero divisor", "cheap check before the slow path",
            "the order matters here", "fold the remainder back in", "see the note on rounding",
            "callers expect a fresh list", "TODO: handle negative input"]


def code_expr(rng, names):
    """A small arithmetic expression over known names and integer literals."""
    literal = str(rng.randint(1, 99))
    if not names or rng.random() < 0.2:
        return literal
    a = rng.choice(names)
    others = [n for n in names if n != a]
    if rng.random() < 0.2:
        return a
    b = rng.choice(others) if others and rng.random() < 0.5 else literal
    expr = f"{a} {rng.choice('+-*%')} {b}"
    return f"({expr}) // {rng.randint(2, 7)}" if rng.random() < 0.2 else expr


def code_block(rng, names, indent, depth=0):
    """A list of indented statements; nested blocks get a copy of the scope."""
    pad, lines, names = " " * indent, [], list(names)
    for _ in range(rng.randint(2, 5 - depth)):
        kind = rng.choices(["assign", "aug", "if", "for", "comment", "print"],
                           [4, 2, 2 if depth < 2 else 0, 2 if depth < 2 else 0, 1, 1])[0]
        if kind == "assign":
            var = f"{rng.choice(ADJS)}_{rng.choice(NOUNS)}"
            lines.append(f"{pad}{var} = {code_expr(rng, names)}")
            names.append(var)
        elif kind == "aug" and [n for n in names if len(n) > 1]:  # never a loop index
            target = rng.choice([n for n in names if len(n) > 1])
            lines.append(f"{pad}{target} {rng.choice('+-*')}= {rng.randint(1, 12)}")
        elif kind == "if" and names:
            left, op = rng.choice(names), rng.choice(['<', '>', '==', '!=', '>='])
            cond = f"{left} {op} {code_expr(rng, names)}"
            lines += [f"{pad}if {cond}:"] + code_block(rng, names, indent + 4, depth + 1)
            if rng.random() < 0.5:
                lines += [f"{pad}else:"] + code_block(rng, names, indent + 4, depth + 1)
        elif kind == "for":
            idx = rng.choice("ijkn")
            lines += [f"{pad}for {idx} in range({rng.randint(2, 16)}):"]
            lines += code_block(rng, names + [idx], indent + 4, depth + 1)
        elif kind == "comment":
            lines.append(f"{pad}# {rng.choice(COMMENTS)}")
        elif names:
            var = rng.choice(names)
            lines.append(f'{pad}print(f"{rng.choice(NOUNS)} {rng.choice(VERBS)}: {{{var}}}")')
        else:
            lines.append(f"{pad}pass")
    if all(line.lstrip().startswith("#") for line in lines):  # a block needs a statement
        lines.append(f"{pad}pass")
    return lines


def code_function(rng, indent=0, self_attrs=()):
    """A def with a docstring, a body and a return statement."""
    pad, verb, noun = " " * indent, rng.choice(VERBS), rng.choice(NOUNS)
    params = rng.sample(NOUNS, rng.randint(1, 3))
    args = (["self"] if self_attrs else []) + params
    if rng.random() < 0.3:
        args[-1] += f"={rng.randint(1, 10)}"
    names = params + [f"self.{a}" for a in self_attrs]
    lines = [f"{pad}def {verb}_{noun}s({', '.join(args)}):",
             f'{pad}    """{verb.capitalize()} the {noun}s and return the '
             f'{rng.choice(ADJS)} value."""']
    lines += code_block(rng, names, indent + 4)
    lines.append(f"{pad}    return {code_expr(rng, names)}")
    return lines


def code_class(rng):
    """A class with __init__ storing its arguments, plus a few methods."""
    attrs = rng.sample(NOUNS, rng.randint(2, 3))
    name = rng.choice(NOUNS).capitalize() + rng.choice(KINDS)
    lines = [f"class {name}:",
             f'    """Keeps track of {", ".join(attrs[:-1])} and {attrs[-1]}."""', "",
             f"    def __init__(self, {', '.join(attrs)}):"]
    lines += [f"        self.{a} = {a}" for a in attrs]
    for _ in range(rng.randint(1, 3)):
        lines += [""] + code_function(rng, 4, attrs)
    return lines


def code(rng, target_bytes=32_000):
    """Module-like chunks of functions and classes separated by blank lines."""
    out, size, module = [], 0, 0
    while size < target_bytes:
        module += 1
        chunk = [f"# module {module}: {rng.choice(VERBS)} helpers for {rng.choice(NOUNS)} data",
                 rng.choice(["import math", "import random", "from collections import deque"])]
        for _ in range(rng.randint(2, 4)):
            chunk += ["", ""] + (code_class(rng) if rng.random() < 0.35 else code_function(rng))
        text = "\n".join(chunk) + "\n\n\n"
        out.append(text)
        size += len(text)
    return "".join(out).rstrip("\n") + "\n"


def main():
    # A fresh generator per corpus, so editing one never changes the others.
    corpora = {
        "periodic.txt": periodic(),
        "brackets.txt": brackets(random.Random(SEED)),
        "long_gap.txt": long_gap(22, 800, random.Random(SEED)),
        "code.txt": code(random.Random(SEED)),
    }
    for name, text in corpora.items():
        (HERE / name).write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {name}: {len(text.encode('utf-8'))} bytes, {len(set(text))} distinct chars")


if __name__ == "__main__":
    main()
