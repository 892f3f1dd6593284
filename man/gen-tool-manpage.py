#!/usr/bin/python3
"""Writes pam-swiftsql(8) from its hand-written frame and the tool itself.

    gen-tool-manpage.py FRAME TOOL OUTPUT

FRAME is man/pam-swiftsql.8.in: the prose (description, exit status, files,
examples) with two markers, @SYNOPSIS@ and @COMMANDS@. They are replaced by
what `TOOL --experimental-dump-help` (swift-argument-parser's description of
every subcommand and option) says, so the page lists exactly the subcommands
and options the built tool has: a new one is documented by its --help text
the next time the page is built, and a removed one disappears.
"""

import json
import subprocess
import sys


def roff_text(text):
    """Text for a roff line: backslashes escaped, no line starting a request."""
    text = text.replace("\\", "\\e")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def dashes(text):
    """An option or command name: its hyphens are minus signs."""
    return text.replace("-", "\\-")


def paragraphs(text):
    """Blank-line separated paragraphs, each filled by roff."""
    result = []
    for block in text.strip().split("\n\n"):
        joined = " ".join(line.strip() for line in block.strip().split("\n"))
        if joined:
            result.append(roff_text(joined))
    return result


def option_names(argument):
    names = []
    for name in argument.get("names", []):
        prefix = {"short": "-", "long": "--", "longWithSingleDash": "-"}.get(name["kind"], "--")
        names.append(prefix + name["name"])
    return names


def is_help(argument):
    return any(n["name"] in ("help", "h") for n in argument.get("names", [])) and argument["kind"] == "flag"


def visible(arguments):
    return [a for a in arguments or [] if a.get("shouldDisplay", True) and not is_help(a)]


def synopsis_item(argument):
    kind = argument["kind"]
    if kind == "positional":
        item = "\\fI" + dashes(argument.get("valueName", "value")) + "\\fR"
    else:
        names = option_names(argument)
        item = "\\fB" + dashes(names[0] if names else argument.get("valueName", "")) + "\\fR"
        if kind == "option":
            item += " \\fI" + dashes(argument.get("valueName", "value")) + "\\fR"
    if argument.get("isRepeating"):
        item += " \\&..."
    if argument.get("isOptional", True):
        item = "[" + item + "]"
    return item


def command_path(parents, command):
    return " ".join(parents + [command["commandName"]])


def synopsis(root):
    out = []
    for command, parents in walk(root, []):
        if command is root and root.get("subcommands"):
            continue
        items = [synopsis_item(a) for a in visible(command.get("arguments"))]
        out.append(".br")
        out.append("\\fB" + dashes(command_path(parents, command)) + "\\fR " + " ".join(items))
    out.insert(0, "\\fBpam\\-swiftsql\\fR \\fIcommand\\fR [\\fIoptions\\fR]")
    return "\n".join(out)


def walk(command, parents):
    yield command, parents
    for sub in command.get("subcommands") or []:
        if sub.get("shouldDisplay", True):
            yield from walk(sub, parents + [command["commandName"]])


def describe_argument(argument):
    names = option_names(argument)
    if argument["kind"] == "positional":
        head = ".TP\n.I " + dashes(argument.get("valueName", "value"))
    else:
        shown = ", ".join("\\fB" + dashes(n) + "\\fR" for n in names)
        if argument["kind"] == "option":
            shown += " \\fI" + dashes(argument.get("valueName", "value")) + "\\fR"
        head = ".TP\n" + shown
    text = roff_text(" ".join((argument.get("abstract") or "").split()))
    if argument.get("discussion"):
        text += " " + " ".join(paragraphs(argument["discussion"]))
    if "defaultValue" in argument and argument["defaultValue"] not in ("", None):
        text += " Default: \\fB" + dashes(roff_text(str(argument["defaultValue"]))) + "\\fR."
    if argument.get("isRepeating"):
        text += " May be given more than once."
    if not argument.get("isOptional", True):
        text += " Required."
    return head + "\n" + text.strip()


def commands(root):
    out = []
    for command, parents in walk(root, []):
        if command is root:
            continue
        out.append('.SS "' + dashes(command_path(parents, command)) + '"')
        if command.get("abstract"):
            out.append(".PP\n" + roff_text(command["abstract"]))
        for paragraph in paragraphs(command.get("discussion") or ""):
            out.append(".PP\n" + paragraph)
        for argument in visible(command.get("arguments")):
            out.append(describe_argument(argument))
        if command.get("subcommands"):
            out.append(".PP\nSubcommands: " + ", ".join(
                "\\fB" + dashes(s["commandName"]) + "\\fR" for s in command["subcommands"]
                if s.get("shouldDisplay", True)) + ".")
    return "\n".join(out)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: gen-tool-manpage.py FRAME TOOL OUTPUT")
    frame_path, tool, output = sys.argv[1:]
    dump = subprocess.run([tool, "--experimental-dump-help"], check=True, capture_output=True, text=True)
    root = json.loads(dump.stdout)["command"]
    with open(frame_path, encoding="utf-8") as frame:
        page = frame.read()
    for marker in ("@SYNOPSIS@", "@COMMANDS@"):
        if marker not in page:
            sys.exit(f"{frame_path}: the marker {marker} is missing")
    page = page.replace("@SYNOPSIS@", synopsis(root)).replace("@COMMANDS@", commands(root))
    with open(output, "w", encoding="utf-8") as out:
        out.write(page)


if __name__ == "__main__":
    main()
