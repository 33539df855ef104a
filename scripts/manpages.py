#!/usr/bin/env python3
"""Reference man pages for every command of a swift-argument-parser program.

Reads the command tree the program itself describes (`PROGRAM --experimental-dump-help`, the
same declarations `--help` prints) and writes one roff page per command into OUTDIR, named
`PROGRAM-SUB-SUB.1` (the program's own page is `PROGRAM.1`). A page named in --skip (a
hand-written one, e.g. sevhost-ok) is not written, and the generated pages point to it.

    scripts/manpages.py --program .build/release/sevhost --version 0.1.0 --date 2026-12-02 \
        --out DIR --skip sevhost --skip sevhost-ok --see-also sevhost-spec.5

Every page's EXIT STATUS is the one sevhost(1) states for every command (its CONVENTIONS,
"Exit status"), copied from the hand-written page named by --conventions, so the statuses are
written in one place.

Used by scripts/package; the pages cannot drift from --help because both come from one tree.
"""
import argparse
import json
import os
import subprocess
import sys


def roff(text):
    """Text as roff reads it literally: backslashes escaped, no line read as a request."""
    lines = []
    for line in text.replace("\\", "\\e").split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def option_name(name):
    dashes = {"long": "--", "short": "-", "longWithSingleDash": "-"}[name["kind"]]
    return "\\fB" + roff(dashes + name["name"]).replace("-", "\\-") + "\\fR"


def synopsis_word(argument):
    value = "<" + argument.get("valueName", "value") + ">"
    kind = argument["kind"]
    if kind == "positional":
        word = "\\fI" + roff(value) + "\\fR"
    else:
        name = argument.get("preferredName") or argument["names"][0]
        word = option_name(name) + ("" if kind == "flag" else " \\fI" + roff(value) + "\\fR")
    if argument.get("isRepeating"):
        word += " ..."
    return "[" + word + "]" if argument.get("isOptional") else word


def visible(items):
    return [item for item in items or [] if item.get("shouldDisplay", True)]


def commands(node, path):
    """Every command of the tree, depth first, with its words from the program down."""
    path = path + [node["commandName"]]
    yield path, node
    for child in visible(node.get("subcommands")):
        if child["commandName"] == "help":
            continue
        yield from commands(child, path)


def exit_status(conventions):
    """The roff of sevhost(1)'s "Exit status" subsection, without its first line."""
    with open(conventions) as f:
        lines = f.read().split("\n")
    start = lines.index(".SS Exit status") + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith((".SS", ".SH")))
    body = lines[start:end]
    # The page's own lead-in ("The same for every command ...") is sevhost(1)'s to say.
    while body and not body[0].startswith("."):
        body.pop(0)
    return "\n".join(body)


def page(path, node, version, date, handwritten, see_also, statuses):
    name = "-".join(path)
    out = []
    out.append('.TH %s 1 "%s" "%s %s" "sevhost manual"' % (name.upper(), date, path[0], version))
    out.append(".SH NAME")
    out.append("%s \\- %s" % (name.replace("-", "\\-"), roff(node.get("abstract", "")).strip() or " ".join(path)))
    out.append(".SH SYNOPSIS")
    words = ["\\fB" + " ".join(path) + "\\fR"]
    subcommands = [c for c in visible(node.get("subcommands")) if c["commandName"] != "help"]
    if subcommands:
        words.append("\\fI<subcommand>\\fR")
    words += [synopsis_word(a) for a in visible(node.get("arguments")) if not a.get("names") or
              all(n["name"] not in ("help", "version") for n in a["names"])]
    out.append(".nh")
    out.append(".ad l")
    out.append(" ".join(words))
    out.append(".ad")
    out.append(".hy")
    discussion = (node.get("discussion") or "").strip()
    examples = []
    if "Examples:\n" in discussion:
        discussion, block = discussion.split("Examples:\n", 1)
        examples = [line.strip() for line in block.split("\n") if line.startswith("  ")]
        discussion = discussion.strip()
    out.append(".SH DESCRIPTION")
    out.append(roff(discussion or node.get("abstract") or "").replace("\n\n", "\n.PP\n"))
    arguments = visible(node.get("arguments"))
    if arguments:
        out.append(".SH OPTIONS")
        for argument in arguments:
            out.append(".TP")
            if argument["kind"] == "positional":
                out.append("\\fI<" + roff(argument.get("valueName", "value")) + ">\\fR")
            else:
                names = ", ".join(option_name(n) for n in argument["names"])
                if argument["kind"] == "option":
                    names += " \\fI<" + roff(argument.get("valueName", "value")) + ">\\fR"
                out.append(names)
            text = (argument.get("abstract") or "").strip()
            if argument.get("discussion"):
                text += "\n" + argument["discussion"].strip()
            if argument.get("allValues"):
                text += "\nValues: " + ", ".join(argument["allValues"]) + "."
            if argument.get("defaultValue") not in (None, ""):
                text += "\nDefault: " + argument["defaultValue"] + "."
            out.append(roff(text).replace("\n\n", "\n.IP\n") or " ")
    if subcommands:
        out.append(".SH COMMANDS")
        for child in subcommands:
            child_page = "-".join(path + [child["commandName"]])
            out.append(".TP")
            out.append("\\fB%s\\fR" % child["commandName"])
            out.append("%s See \\fB%s\\fR(1)." % (roff(child.get("abstract", "")).strip(), child_page.replace("-", "\\-")))
    if examples:
        out.append(".SH EXAMPLES")
        out.append(".nf")
        out += ["    " + roff(line).replace("-", "\\-") for line in examples]
        out.append(".fi")
    out.append(".SH EXIT STATUS")
    out.append("As for every sevhost command (\\fBsevhost\\fR(1), CONVENTIONS):")
    out.append(statuses)
    refs = []
    for depth in range(len(path) - 1, 0, -1):
        parent = "-".join(path[:depth])
        if parent in handwritten or depth == 1:
            refs.append(parent + "(%s)" % handwritten.get(parent, "1"))
    refs += see_also
    seen = []
    for ref in refs:
        if ref not in seen and not ref.startswith(name + "("):
            seen.append(ref)
    if seen:
        out.append(".SH SEE ALSO")
        out.append(",\n".join("\\fB%s\\fR(%s" % (r.split("(")[0].replace("-", "\\-"), r.split("(")[1]) for r in seen))
    return name, "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--program", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--date", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--handwritten", action="append", default=[],
                        help="NAME.SECTION of a hand-written page: not generated, and referred to")
    parser.add_argument("--see-also", action="append", default=[], help="NAME.SECTION every page refers to")
    parser.add_argument("--conventions", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "man", "sevhost.1"),
                        help="the page whose CONVENTIONS state the exit statuses (default: man/sevhost.1)")
    options = parser.parse_args()

    dump = subprocess.run([options.program, "--experimental-dump-help"], capture_output=True, check=True)
    tree = json.loads(dump.stdout)["command"]
    handwritten = {}
    for page_name in options.handwritten:
        stem, section = page_name.rsplit(".", 1)
        handwritten[stem] = section
    see_also = ["%s(%s)" % tuple(p.rsplit(".", 1)) for p in options.see_also]
    statuses = exit_status(options.conventions)
    os.makedirs(options.out, exist_ok=True)
    written = 0
    for path, node in commands(tree, []):
        name, text = page(path, node, options.version, options.date, handwritten, see_also, statuses)
        if name in handwritten:
            continue
        with open(os.path.join(options.out, name + ".1"), "w") as f:
            f.write(text)
        written += 1
    print("%d pages" % written, file=sys.stderr)


if __name__ == "__main__":
    main()
