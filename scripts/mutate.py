#!/usr/bin/env python3
"""Mutation testing for gtrack: does the test suite notice a small wrong change?

Run through scripts/mutate.sh. The tool lists every small mutation it can make in src/**/*.c
(an operator flipped, a statement deleted, two adjacent sqlite3_bind_* indexes swapped, a
constant changed), draws a seeded sample, and for each mutant rebuilds a Release build
incrementally and runs the whole ctest suite. A mutant the suite fails on is "caught"; one it
passes "survived". Mutants that do not compile, or compile to the same object code as the
original (provably equivalent), are counted apart and left out of the rate.

The mutants are applied to a private copy of the tree (under --work, outside the checkout), so
the checkout is never modified, even by kill -9; the copy is restored after each mutant and
re-synchronised from the checkout at every start, which keeps its build incremental.
"""

import argparse
import fcntl
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

KINDS = ("operator", "statement", "bind-swap", "constant")

OPERATOR_FLIPS = {
    "<": "<=", "<=": "<", ">": ">=", ">=": ">",
    "==": "!=", "!=": "==", "&&": "||", "||": "&&",
    "+": "-", "-": "+", "+=": "-=", "-=": "+=",
}

# Longest punctuators first, so '<<=' is never read as '<' then '<='.
TOKEN = re.compile(r"""
    (?P<number>0[xX][0-9a-fA-F]+[uUlL]*|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFlLuU]*)
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<punct><<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|[-+*/%<>=!&|^~?:;,.(){}\[\]])
  | (?P<space>\s+)
""", re.VERBOSE)

NOT_DELETABLE_START = {
    "return", "case", "default", "typedef", "struct", "enum", "union", "static", "const",
    "extern", "unsigned", "signed", "int", "char", "double", "float", "long", "short",
    "void", "bool", "if", "for", "while", "do", "switch", "else", "sizeof",
}


class Interrupted(Exception):
    pass


def mask_source(text):
    """The text with comments, string and character literals and preprocessor lines blanked
    (same length, newlines kept), so offsets match the original and no mutation lands there."""
    out = list(text)
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#":
            # A directive runs to the end of the line, including backslash continuations.
            while i < n and not (text[i] == "\n" and text[i - 1] != "\\"):
                out[i] = " "
                i += 1
            continue
        if c == "\n":
            line_start = True
            i += 1
            continue
        if not c.isspace():
            line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            for j in range(i, end):
                if text[j] != "\n":
                    out[j] = " "
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            for k in range(i, min(j + 1, n)):
                out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out)


def tokens(masked):
    result = []
    for m in TOKEN.finditer(masked):
        if m.lastgroup != "space":
            result.append((m.lastgroup, m.group(), m.start(), m.end()))
    return result


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def changed_constant(literal):
    digits = literal.rstrip("uUlLfF")
    suffix = literal[len(digits):]
    if digits.lower().startswith("0x"):
        value = int(digits, 16)
        return None if value == 0xFFFFFFFFFFFFFFFF else hex(value + 1) + suffix
    if re.fullmatch(r"\d+", digits):
        value = int(digits)
        return ("1" if value == 0 else "0" if value == 1 else str(value + 1)) + suffix
    value = float(digits)
    return ("1.0" if value == 0 else repr(value * 2)) + suffix


def operator_mutants(tok):
    for index, (kind, value, start, end) in enumerate(tok):
        if kind != "punct" or value not in OPERATOR_FLIPS:
            continue
        if value in ("+", "-"):
            # Binary only: after an operand. A unary minus is the constant mutation's job.
            before = tok[index - 1] if index else None
            if not before or before[0] == "punct" and before[1] not in (")", "]"):
                continue
            if before[0] == "ident" and before[1] in ("return", "case", "sizeof"):
                continue
        yield start, end, OPERATOR_FLIPS[value]


def is_array_size(tok, index):
    """Whether the number at tok[index] is a size in an array declaration (char buf[32],
    int grid[4][8], char a[8], b[16]): a bigger buffer changes nothing a test could see.
    A literal index after a comma (f(a, b[3])) is skipped too; a small loss."""
    if not (index >= 3 and index + 1 < len(tok) and tok[index - 1][1] == "["
            and tok[index + 1][1] == "]"):
        return False
    k = index - 2
    while k > 0 and tok[k][1] == "]":  # an earlier dimension: back over [ ... ]
        while k > 0 and tok[k][1] != "[":
            k -= 1
        k -= 1
    return k > 0 and tok[k][0] == "ident" and (tok[k - 1][0] == "ident" or
                                               tok[k - 1][1] in ("*", ","))


def constant_mutants(tok):
    for index, (kind, value, start, end) in enumerate(tok):
        if kind == "number" and not is_array_size(tok, index):
            replacement = changed_constant(value)
            if replacement and replacement != value:
                yield start, end, replacement


def statement_mutants(masked):
    """Single-line expression statements (calls, assignments, increments, break, continue,
    goto) whose line begins a statement; each becomes an empty statement ';'."""
    offset = 0
    previous_end = ";"
    for line in masked.split("\n"):
        stripped = line.strip()
        candidate = (stripped.endswith(";") and stripped.count("(") == stripped.count(")")
                     and stripped.count(";") == 1 and "{" not in stripped and "}" not in stripped
                     and (previous_end in ";{}):" or previous_end.endswith("else")))
        if candidate:
            tok = tokens(stripped)
            first = tok[0] if tok else None
            declaration = (len(tok) > 2 and tok[0][0] == "ident" and
                           (tok[1][0] == "ident" or
                            tok[1][1] == "*" and tok[2][0] == "ident" and
                            len(tok) > 3 and tok[3][1] in ("=", ";", "[", ",")))
            if (first and first[0] == "ident" and first[1] not in NOT_DELETABLE_START
                    and not declaration and len(tok) > 1 and tok[1][1] != ":"):
                start = offset + line.index(stripped)
                yield start, start + len(stripped), ";"
        if stripped:
            previous_end = stripped[-1] if not stripped.endswith("else") else "else"
        offset += len(line) + 1


def split_arguments(masked, open_paren):
    """(arguments as (start, end) spans, offset after the closing paren) of the call whose
    '(' is at open_paren, or None when the parens do not balance."""
    depth, start, spans = 0, open_paren + 1, []
    for i in range(open_paren, len(masked)):
        c = masked[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                spans.append((start, i))
                return spans, i + 1
        elif c == "," and depth == 1:
            spans.append((start, i))
            start = i + 1
    return None


def bind_swap_mutants(text, masked):
    calls = []
    for m in re.finditer(r"\bsqlite3_bind_\w+\s*\(", masked):
        parsed = split_arguments(masked, m.end() - 1)
        if not parsed:
            continue
        spans, after = parsed
        semicolon = re.compile(r"\s*;").match(masked, after)
        if len(spans) < 2 or not semicolon:
            continue
        calls.append((m.start(), semicolon.end(), spans[1]))
    for first, second in zip(calls, calls[1:]):
        if masked[first[1]:second[0]].strip():
            continue  # not adjacent statements
        index_a = text[first[2][0]:first[2][1]].strip()
        index_b = text[second[2][0]:second[2][1]].strip()
        whole = text[first[0]:second[1]]
        if index_a.isdigit() and index_b.isdigit() and index_a != index_b:
            rebuilt = (text[first[0]:first[2][0]] + text[second[2][0]:second[2][1]]
                       + text[first[2][1]:second[2][0]] + text[first[2][0]:first[2][1]]
                       + text[second[2][1]:second[1]])
        elif index_a == index_b:
            # Indexes counted with i++: swapping the statements swaps the indexes.
            rebuilt = (text[second[0]:second[1]] + text[first[1]:second[0]]
                       + text[first[0]:first[1]])
        else:
            continue
        if rebuilt != whole:
            yield first[0], second[1], rebuilt


def all_mutants(root):
    """Every mutation, as dicts sorted by file and offset, so a seed draws the same sample
    from the same sources."""
    mutants = []
    sources = sorted(os.path.relpath(os.path.join(d, f), root)
                     for d, _, files in os.walk(os.path.join(root, "src"))
                     for f in files if f.endswith(".c"))
    for path in sources:
        with open(os.path.join(root, path), encoding="utf-8") as f:
            text = f.read()
        masked = mask_source(text)
        tok = tokens(masked)
        generators = (("operator", operator_mutants(tok)),
                      ("statement", statement_mutants(masked)),
                      ("bind-swap", bind_swap_mutants(text, masked)),
                      ("constant", constant_mutants(tok)))
        for kind, found in generators:
            for start, end, replacement in found:
                mutants.append({"file": path, "start": start, "end": end,
                                "replacement": replacement, "kind": kind,
                                "line": line_of(text, start)})
    mutants.sort(key=lambda m: (m["file"], m["start"], KINDS.index(m["kind"]), m["replacement"]))
    return mutants


def describe(mutant, text):
    before = " ".join(text[mutant["start"]:mutant["end"]].split())
    after = " ".join(mutant["replacement"].split())
    if mutant["kind"] in ("operator", "constant"):
        line_start = text.rfind("\n", 0, mutant["start"]) + 1
        line_end = text.find("\n", mutant["start"])
        line = text[line_start:line_end]
        column = mutant["start"] - line_start
        mutated = line[:column] + mutant["replacement"] + line[mutant["end"] - line_start:]
        before, after = line.strip(), mutated.strip()
    return "%s:%d [%s] %s -> %s" % (mutant["file"], mutant["line"], mutant["kind"], before, after)


def record_of(mutant, text):
    """A mutant as saved by --save: its line's text and column rather than a file offset,
    so it can be found again after the file changed elsewhere."""
    line_start = text.rfind("\n", 0, mutant["start"]) + 1
    line_end = text.find("\n", mutant["start"])
    return {"file": mutant["file"], "line": mutant["line"], "kind": mutant["kind"],
            "line_text": text[line_start:line_end if line_end >= 0 else len(text)],
            "column": mutant["start"] - line_start,
            "original": text[mutant["start"]:mutant["end"]],
            "replacement": mutant["replacement"]}


def locate(record, text):
    """The saved mutant in today's text: on the line with the same text nearest its old
    line number, or None when no such line holds the original."""
    lines = text.split("\n")
    offsets, total = [], 0
    for line in lines:
        offsets.append(total)
        total += len(line) + 1
    candidates = sorted((abs(i + 1 - record["line"]), i) for i, line in enumerate(lines)
                        if line == record["line_text"])
    for _, i in candidates:
        start = offsets[i] + record["column"]
        if text[start:start + len(record["original"])] == record["original"]:
            return {"file": record["file"], "start": start,
                    "end": start + len(record["original"]),
                    "replacement": record["replacement"], "kind": record["kind"],
                    "line": i + 1}
    return None


def checkout_files(repo):
    listed = subprocess.run(["git", "-C", repo, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], check=True, capture_output=True).stdout
    return [p for p in listed.decode().split("\0") if p and os.path.isfile(os.path.join(repo, p))]


def write_fresh(path, data):
    """Writes data with a new mtime, so make rebuilds whatever depends on it."""
    with open(path, "wb") as f:
        f.write(data)
    now = time.time()
    os.utime(path, (now, now))


def sync_copy(repo, tree):
    """Makes tree hold exactly the checkout's files; files already equal keep their mtime,
    so the copy's build stays incremental. This also undoes a mutant left by kill -9."""
    wanted = set(checkout_files(repo))
    for path in sorted(wanted):
        source, target = os.path.join(repo, path), os.path.join(tree, path)
        with open(source, "rb") as f:
            data = f.read()
        if os.path.isfile(target):
            with open(target, "rb") as f:
                if f.read() == data:
                    continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        write_fresh(target, data)
        shutil.copymode(source, target)
    for directory, _, files in os.walk(tree):
        for name in files:
            path = os.path.relpath(os.path.join(directory, name), tree)
            if path not in wanted:
                os.remove(os.path.join(directory, name))


def run(command, timeout, log=None, env=None):
    """(exit code or 'timeout', seconds); the command runs in its own process group, which
    is killed whole on a timeout or an interruption so no test process is left behind."""
    started = time.time()
    process = subprocess.Popen(command, stdout=log or subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, start_new_session=True, env=env)
    try:
        code = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        code = "timeout"
    finally:
        if process.poll() is None or code == "timeout":
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
    return code, time.time() - started


def object_digests(build, source):
    """Digests of every object file built from source (the nn sources build once per dtype)."""
    suffix = os.sep + source + ".o"
    digests = {}
    for directory, _, files in os.walk(os.path.join(build, "CMakeFiles")):
        for name in files:
            path = os.path.join(directory, name)
            if path.endswith(suffix):
                with open(path, "rb") as f:
                    digests[path] = hashlib.sha256(f.read()).hexdigest()
    return digests


def failed_tests(log_path):
    with open(log_path, errors="replace") as f:
        text = f.read()
    names = re.findall(r"^\s*\d+ - (\S+) \((?:Failed|Timeout|SEGFAULT|Subprocess aborted|"
                       r"Child aborted|Exception|OTHER_FAULT)[^)]*\)", text, re.M)
    return names or ["ctest"]


def parse_arguments():
    parser = argparse.ArgumentParser(
        prog="scripts/mutate.sh",
        description="Mutation testing: apply N seeded random small mutations of src/**/*.c "
                    "one at a time to a private copy of the tree, rebuild it (Release, "
                    "incremental) and run ctest; report which mutants the suite caught and "
                    "list the survivors. The checkout itself is never modified.",
        epilog="Exit status: 0 when every mutant tested was caught, 1 when some survived, "
               "2 on a usage or setup error, 130 when interrupted.")
    parser.add_argument("-n", "--count", type=int, default=40,
                        help="mutants to sample (default 40)")
    parser.add_argument("--seed", type=int, default=None,
                        help="sample seed; the same seed and sources give the same sample "
                             "(default: random, printed)")
    parser.add_argument("--kind", action="append", choices=KINDS,
                        help="only mutations of this kind (repeatable; default all)")
    parser.add_argument("--file", action="append", metavar="REGEX",
                        help="only sources whose path matches REGEX (repeatable)")
    parser.add_argument("--timeout", type=int, default=0,
                        help="seconds per mutant's test run (default: 3x the unmutated "
                             "run, at least 60)")
    parser.add_argument("--work", default=None,
                        help="directory for the tree copy and its build (default "
                             "$TMPDIR/gtrack-mutate-<checkout digest>); kept between runs")
    parser.add_argument("--tests", metavar="REGEX", default=None,
                        help="run only the ctest tests matching REGEX (ctest -R)")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="build and ctest jobs (2)")
    parser.add_argument("--from", dest="first", type=int, default=1, metavar="K",
                        help="start at the K-th mutant of the sample (to finish an "
                             "interrupted run)")
    parser.add_argument("--source", default=None, metavar="DIR",
                        help="the git checkout to mutate (default: the one holding this "
                             "script)")
    parser.add_argument("--save", metavar="FILE",
                        help="also write the sample to FILE (JSON), to replay it later")
    parser.add_argument("--replay", metavar="FILE",
                        help="test the sample saved in FILE instead of drawing one; each "
                             "mutant is found again by its line's text, so edits elsewhere "
                             "in the sources do not change the sample")
    parser.add_argument("--list", action="store_true",
                        help="print the sampled mutants and stop (no build)")
    return parser.parse_args()


def main():
    options = parse_arguments()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `--list | head` ends quietly
    repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True,
                          text=True,
                          cwd=options.source or os.path.dirname(os.path.abspath(__file__)))
    if repo.returncode != 0:
        print("mutate: not inside a git checkout", file=sys.stderr)
        return 2
    repo = repo.stdout.strip()
    if options.count < 1:
        print("mutate: --count: expected a positive number, got %d" % options.count,
              file=sys.stderr)
        return 2
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(10**6)

    mutants = all_mutants(repo)
    if options.kind:
        mutants = [m for m in mutants if m["kind"] in options.kind]
    if options.file:
        mutants = [m for m in mutants if any(re.search(r, m["file"]) for r in options.file)]
    if not mutants:
        print("mutate: no mutation matches the filters", file=sys.stderr)
        return 2
    texts = {}

    def source(path):
        if path not in texts:
            with open(os.path.join(repo, path), encoding="utf-8") as f:
                texts[path] = f.read()
        return texts[path]

    counts = {k: sum(1 for m in mutants if m["kind"] == k) for k in KINDS}
    if options.replay:
        with open(options.replay, encoding="utf-8") as f:
            saved = json.load(f)
        seed = saved["seed"]
        sample, missing = [], 0
        for record in saved["mutants"]:
            found = locate(record, source(record["file"]) if os.path.exists(
                os.path.join(repo, record["file"])) else "")
            if found:
                sample.append(found)
            else:
                missing += 1
                print("mutate: no longer in the sources: %s:%d %s" % (
                    record["file"], record["line"], record["line_text"].strip()))
        print("mutate: replaying %s (seed %d): %d mutants, %d no longer found" % (
            options.replay, seed, len(sample), missing))
    else:
        sample = random.Random(seed).sample(mutants, min(options.count, len(mutants)))
        print("mutate: seed %d, %d of %d possible mutants (%s)" % (
            seed, len(sample), len(mutants),
            ", ".join("%d %s" % (counts[k], k) for k in KINDS)))
    for m in sample:
        source(m["file"])
    if options.save:
        with open(options.save, "w", encoding="utf-8") as f:
            json.dump({"seed": seed, "mutants": [record_of(m, texts[m["file"]])
                                                 for m in sample]}, f, indent=1)
    if options.list:
        for number, m in enumerate(sample, 1):
            print("%3d %s" % (number, describe(m, texts[m["file"]])))
        return 0

    default_work = os.path.join(os.environ.get("TMPDIR") or "/tmp", "gtrack-mutate-" +
                                hashlib.sha256(repo.encode()).hexdigest()[:12])
    work = os.path.abspath(options.work or default_work)
    if os.path.commonpath([work, repo]) == repo:
        print("mutate: --work '%s' is inside the checkout" % work, file=sys.stderr)
        return 2
    tree, build, scratch = (os.path.join(work, d) for d in ("tree", "build", "tmp"))
    log_path = os.path.join(work, "last.log")
    for d in (tree, build, scratch):
        os.makedirs(d, exist_ok=True)
    # one run per work directory: two would mutate and build the same copy
    lock = open(os.path.join(work, "lock"), "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print("mutate: another run is using %s; wait for it or pass --work" % work,
              file=sys.stderr)
        return 2

    # Signals become an exception, so the finally below restores the copy on Ctrl-C too.
    def interrupt(signum, _frame):
        raise Interrupted(signal.Signals(signum).name)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, interrupt)

    results = []
    current = None
    try:
        print("mutate: copying the checkout to %s and building it" % tree, flush=True)
        sync_copy(repo, tree)
        with open(log_path, "wb") as log:
            code, _ = run(["cmake", "-S", tree, "-B", build, "-DCMAKE_BUILD_TYPE=Release"],
                          600, log)
            if code == 0:
                code, _ = run(["cmake", "--build", build, "-j%d" % options.jobs], 1800, log)
        if code != 0:
            print("mutate: the unmutated copy does not build; see %s" % log_path,
                  file=sys.stderr)
            return 2
        environment = dict(os.environ, TMPDIR=scratch)
        ctest = ["ctest", "--test-dir", build, "-j%d" % options.jobs, "--stop-on-failure"]
        if options.tests:
            ctest += ["-R", options.tests]
        with open(log_path, "wb") as log:
            code, baseline = run(ctest, 1800, log, environment)
        if code != 0:
            print("mutate: the unmutated suite fails (see %s); nothing to measure" % log_path,
                  file=sys.stderr)
            return 2
        timeout = options.timeout or max(60, int(3 * baseline))
        print("mutate: unmutated suite passes in %.1f s; %d s per mutant" % (baseline, timeout),
              flush=True)

        for number, m in enumerate(sample, 1):
            if number < options.first:
                continue
            text = texts[m["file"]]
            target = os.path.join(tree, m["file"])
            original_objects = object_digests(build, m["file"])
            mutated = text[:m["start"]] + m["replacement"] + text[m["end"]:]
            current = (target, text)
            write_fresh(target, mutated.encode())
            with open(log_path, "wb") as log:
                built, _ = run(["cmake", "--build", build, "-j%d" % options.jobs], 900, log)
            if built != 0:
                outcome, detail = "uncompilable", ""
            elif object_digests(build, m["file"]) == original_objects:
                outcome, detail = "equivalent", "same object code"
            else:
                for entry in os.listdir(scratch):
                    shutil.rmtree(os.path.join(scratch, entry), ignore_errors=True)
                with open(log_path, "wb") as log:
                    code, seconds = run(ctest + ["--timeout", str(timeout)], timeout + 60,
                                        log, environment)
                if code == 0:
                    outcome, detail = "survived", "%.0f s" % seconds
                elif code == "timeout":
                    outcome, detail = "caught", "suite timed out"
                else:
                    outcome, detail = "caught", "by " + ", ".join(failed_tests(log_path))
            write_fresh(target, text.encode())
            current = None
            results.append((outcome, describe(m, text)))
            print("%3d/%d %-12s %s%s" % (number, len(sample), outcome, results[-1][1],
                                         "  (%s)" % detail if detail else ""), flush=True)
    except Interrupted as signal_name:
        print("mutate: interrupted (%s); the checkout was never modified" % signal_name,
              file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if current:
            write_fresh(current[0], current[1].encode())
        summarise(results, seed)
    return 1 if any(outcome == "survived" for outcome, _ in results) else 0


def summarise(results, seed):
    if not results:
        return
    tally = {o: sum(1 for r, _ in results if r == o)
             for o in ("caught", "survived", "uncompilable", "equivalent")}
    tested = tally["caught"] + tally["survived"]
    rate = 100.0 * tally["caught"] / tested if tested else 0.0
    print("\nmutate: seed %d: %d caught, %d survived (%.0f%% caught of %d tested); "
          "%d did not compile, %d compiled to the same object code" % (
              seed, tally["caught"], tally["survived"], rate, tested,
              tally["uncompilable"], tally["equivalent"]))
    survivors = [description for r, description in results if r == "survived"]
    if survivors:
        print("survivors:")
        for description in survivors:
            print("  " + description)


if __name__ == "__main__":
    sys.exit(main())
