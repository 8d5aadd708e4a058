"""Fuzzing what a host (or an attacker) writes: notes files, front-matter
values and config text.

For any input castline either works or reports problems, each one line
naming its file; never a traceback, never more than a few seconds or a few
hundred MB. The strategies lean on what broke castline before: YAML anchors
and aliases (an alias bomb), deep nesting, huge numbers, impossible dates,
control characters, odd Unicode, TOML corner cases, and bytes that are not
UTF-8.

Each example runs in a forked child with its memory capped and a time
limit, so an input that runs away fails the test instead of taking the
machine with it. Examples are bounded so the whole file stays well under a
minute; on CI (``CI`` set) the examples are the same on every run.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import resource
import select
import shutil
import signal
import time
import traceback
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.config.settings import load_settings
from pipeline.errors import CastlineError
from pipeline.ingest.folder import FIELDS, ingest
from tests.conftest import REPO, copy_sample

NOTES = "show_notes/001-lets-take-this-offline.md"
SECONDS = 5.0  # CPU time for one input, parsed and checked
WALL_SECONDS = 30.0  # a child still running then is killed: it hangs (wall time, for a busy machine)
MEGABYTES = 300  # growth of the child's peak memory for one input
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


# -- running one input, bounded --------------------------------------------------------------------------------

def bounded(work: Callable[[], Any]) -> Any:
    """``work()`` run in a forked child with its address space capped at
    today's size plus 1 GB and a time limit; returns its result, or fails
    the test naming the exception (with its traceback), the time or the
    memory it took. Time is the child's CPU time, so a busy machine does
    not fail the test; a child that hangs is killed after WALL_SECONDS."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        status = 0
        try:
            os.close(read_end)
            soft = _address_space() + (1 << 30)
            resource.setrlimit(resource.RLIMIT_AS, (soft, resource.getrlimit(resource.RLIMIT_AS)[1]))
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = _cpu_seconds()
            try:
                outcome = ("ok", work())
            except MemoryError:
                outcome = ("error", "ran out of memory (MemoryError)")
            except BaseException:  # noqa: BLE001 - any exception is the finding
                outcome = ("error", traceback.format_exc(limit=-8))
            grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
            payload = pickle.dumps((*outcome, _cpu_seconds() - started, grown))
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
        except BaseException:  # noqa: BLE001
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    chunks, deadline = [], time.monotonic() + WALL_SECONDS
    with os.fdopen(read_end, "rb") as inp:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([inp], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(inp.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail(f"one input took more than {WALL_SECONDS:.0f} s (killed)")
    _, status = os.waitpid(pid, 0)
    if not chunks:
        pytest.fail(f"the child died (status {status}): out of memory past 1 GB, or a crash")
    kind, value, seconds, grown = pickle.loads(b"".join(chunks))
    if kind == "error":
        pytest.fail(f"not a one-line error but an exception:\n{value}")
    assert seconds < SECONDS, f"one input took {seconds:.1f} s of CPU time"
    assert grown < MEGABYTES, f"one input took {grown:.0f} MB"
    return value


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 4 << 30


# -- the show the inputs go into ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def show(tmp_path_factory) -> Path:
    """One copy of the sample show; each example rewrites one file of it."""
    return copy_sample(tmp_path_factory.mktemp("fuzz") / "show")


def ingest_lines(root: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Ingest the show: every problem as printed, and the text fields of
    every episode read."""
    found = ingest(load_settings(root).ingest)
    return [str(p) for p in found.problems], [_texts(ep) for ep in found.episodes]


def _texts(ep) -> dict[str, Any]:
    return {"title": ep.title, "summary": ep.summary, "body": ep.body, "image_alt": ep.image_alt,
            "image_credit": ep.image_credit, "location": ep.location, "license": ep.license, "guid": ep.guid,
            "keywords": list(ep.keywords), "guests": [(g.name, g.role, g.bio) for g in ep.guests],
            "chapters": [c.title for c in ep.chapters], "soundbites": [s.title for s in ep.soundbites]}


def assert_one_line_each(lines: list[str], *names: str) -> None:
    """Each problem is one line that starts with its file. (A control
    character quoted from the input may be in it: the CLI prints every line
    through ``clean_line``.)"""
    for line in lines:
        assert "\n" not in line and line.strip() == line and line, repr(line)
        assert line.startswith(names), f"does not name its file: {line!r}"


def assert_clean(texts: list[dict[str, Any]]) -> None:
    """Every text an episode carries is clean: no control character, no
    surrounding whitespace (the body keeps its indentation)."""
    for ep in texts:
        for key, value in ep.items():
            for text in _strings(value):
                assert not FORBIDDEN.search(text), (key, text)
                if key != "body":
                    assert text == text.strip(), (key, text)


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


# -- strategies ---------------------------------------------------------------------------------------------------

# characters a careless paste or an attacker brings: controls, escapes,
# noncharacters, bidi overrides, line separators, a BOM, combining marks
_ODD = "\x00\x01\x07\x08\x0b\x0c\x0e\x1b\x1f\x7f\x85\x9b\u200b\u200e\u202e\u2028\u2029\ufeff\ufffe\uffff\u0301"
odd_text = st.text(st.one_of(st.characters(codec="utf-8", exclude_categories=["Cs"]), st.sampled_from(_ODD)),
                   max_size=40)
huge_int = st.one_of(st.integers(-(10**40), 10**40), st.integers(0, 4000).map(lambda n: 10**n))  # str() stops at 4300 digits
py_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70000), huge_int, st.floats(allow_nan=True, allow_infinity=True),
    odd_text, st.dates(), st.datetimes(timezones=st.sampled_from([None, timezone.utc])),
    st.sampled_from(["https://example.com/x", "javascript:alert(1)", "mailto:a@b.c", "0:14", "1:02:03.5", "99:99",
                     "2024-05-01", "2026-02-30", "full", "bonus", "trailer", "episodes/001-lets-take-this-offline.vtt",
                     "../../etc/passwd", "/etc/passwd", "art/cover.jpg", "episodes/" + "x" * 300]),
)
SUBKEYS = ["name", "role", "group", "href", "img", "bio", "start", "title", "url", "duration", "end", "type", "page",
           "protocol", "server", "account_id", "space", "address", "split", "recipients", "remote", "feed_guid",
           "item_guid", "feed_url", "remote_start", "remote_percentage", "x"]
py_value = st.recursive(py_scalar, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(SUBKEYS) | odd_text, kids, max_size=4)),
    max_leaves=12)
items = st.lists(st.dictionaries(st.sampled_from(SUBKEYS), py_scalar, max_size=5) | py_scalar, max_size=4)


def _flow(value: Any) -> str:
    """A Python value as one line of YAML flow style."""
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9)
    return text.removesuffix("...\n").strip().replace("\n", " ")


def _nested(n: int, kind: str) -> str:
    return {"list": "[" * n + "]" * n, "map": "{a: " * n + "1" + "}" * n, "toml_list": "[" * n + "]" * n,
            "toml_table": "{a=" * n + "1" + "}" * n}[kind]


def _alias_bomb(depth: int, width: int) -> str:
    """``&a [lol, lol, ...]``, ``&b [*a, *a, ...]``, ...: width ** depth
    strings once expanded, from a few hundred bytes."""
    names = [f"v{i}" for i in range(depth)]
    lines = [f"x{names[0]}: &{names[0]} [" + ", ".join(["lol"] * width) + "]"]
    for prev, name in zip(names, names[1:]):
        lines.append(f"x{name}: &{name} [" + ", ".join([f"*{prev}"] * width) + "]")
    return "\n".join(lines) + f"\nnumber: *{names[-1]}"


impossible_date = st.builds("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:00".format, st.integers(0, 9999), st.integers(0, 99),
                            st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
raw_yaml_value = st.one_of(
    st.sampled_from(["2026-13-45", "2026-02-30", "2026-12-03T25:00:00", "0000-00-00", "9999-12-31T23:59:59-23:59",
                     "1e999", ".inf", "-.inf", ".nan", "0x" + "f" * 40, "0o777", "1_000", "190:20:30", "~", "yes",
                     "!!binary aGk=", "!!python/object/apply:os.system [ls]", "!!timestamp 2026-99-99", "&a x", "*a",
                     "*undefined", "'unterminated", "[", "{", "- x", ":", "@", "`", "|", ">", "!!set {a, b}",
                     "!!omap [a: 1]", "<<: {a: 1}", "\t1", "!!int 1e3", "!!float abc"]),
    impossible_date,
    st.builds(_nested, st.integers(1, 6000), st.sampled_from(["list", "map"])),
    st.integers(0, 9000).map(lambda n: "1" + "0" * n),
)
FIELD_NAMES = list(FIELDS)  # every field ingest knows, new ones included
LISTS = ("guests", "chapters", "soundbites", "content_links", "value_splits")


@st.composite
def yaml_notes(draw) -> bytes:
    """A notes file with YAML front matter: mostly sound structure with
    hostile values, sometimes hostile structure."""
    lines = [f"title: {draw(st.one_of(st.just('A title'), odd_text.map(_flow), raw_yaml_value))}",
             f"date: {draw(st.one_of(st.just('2012-03-28T09:00:00'), py_scalar.map(_flow), raw_yaml_value))}"]
    for key in draw(st.lists(st.sampled_from(FIELD_NAMES) | odd_text, max_size=5, unique=True)):
        if key in LISTS:
            value = draw(items.map(_flow))
        else:
            value = draw(st.one_of(py_value.map(_flow), raw_yaml_value))
        lines.append(f"{_flow(key) if key not in FIELD_NAMES else key}: {value}")
    if draw(st.integers(0, 9)) == 0:
        lines.append(_alias_bomb(draw(st.integers(2, 9)), draw(st.integers(2, 9))))
    body = draw(odd_text)
    return ("---\n" + "\n".join(draw(st.permutations(lines))) + "\n---\n" + body).encode("utf-8")


toml_value = st.one_of(
    st.sampled_from(["inf", "nan", "-inf", "1e999", "0x" + "f" * 40, "1979-05-27", "1979-02-30", "1979-05-27T25:00:00Z",
                     "0000-00-00", "1979-05-27T07:32:00+24:00", "07:32:00", "true", "'''a\nb'''", '"\\u0000"',
                     '"\\ud800"', '"\\x00"', "[1, 'a', {a = 1}]", "{a = {b = {c = 1}}}", "", "= =", "\x00", '"\x01"']),
    impossible_date,
    st.integers(0, 9000).map(lambda n: "1" + "0" * n),
    st.builds(_nested, st.integers(1, 6000), st.sampled_from(["toml_list", "toml_table"])),
    odd_text.map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.integers(-(10**30), 10**30).map(str),
)


@st.composite
def toml_notes(draw) -> bytes:
    lines = ['title = "A title"' if draw(st.booleans()) else f"title = {draw(toml_value)}",
             "date = 2012-03-28T09:00:00" if draw(st.booleans()) else f"date = {draw(toml_value)}"]
    for key in draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=4, unique=True)):
        lines.append(f"{key} = {draw(toml_value)}")
    for table in draw(st.lists(st.sampled_from(LISTS), max_size=2)):
        lines.append(f"[[{table}]]")
        lines.extend(f"{k} = {draw(toml_value)}" for k in draw(st.lists(st.sampled_from(SUBKEYS), max_size=3,
                                                                           unique=True)))
    return ("+++\n" + "\n".join(lines) + "\n+++\n" + draw(odd_text)).encode("utf-8")


# -- the properties -----------------------------------------------------------------------------------------------

def _write_notes(show: Path, content: bytes) -> None:
    (show / NOTES).write_bytes(content)


@FUZZ
@given(content=st.one_of(yaml_notes(), toml_notes(), st.binary(max_size=600),
                         odd_text.map(lambda s: ("---\n" + s + "\n---\n").encode("utf-8", "surrogatepass"))))
def test_any_notes_file_works_or_is_one_line_naming_it(show: Path, content: bytes) -> None:
    _write_notes(show, content)
    lines, texts = bounded(lambda: ingest_lines(show))
    assert_one_line_each(lines, "show_notes/", "episodes/")
    assert_clean(texts)


CONFIG = (REPO / "config.toml").read_text()
_CONFIG_KEYS = re.findall(r"^(\w+) = ", CONFIG, re.MULTILINE)


@st.composite
def config_text(draw) -> str:
    text = CONFIG
    for _ in range(draw(st.integers(1, 3))):
        how = draw(st.sampled_from(["value", "line", "section", "append"]))
        if how == "value":
            key = draw(st.sampled_from(_CONFIG_KEYS))
            text = re.sub(rf"^{key} = .*$", lambda m: f"{key} = {draw(toml_value)}", text, count=1, flags=re.MULTILINE)
        elif how == "line":
            lines = text.split("\n")
            lines.insert(draw(st.integers(0, len(lines))), draw(st.one_of(odd_text, toml_value.map(lambda v: f"k = {v}"))))
            text = "\n".join(lines)
        elif how == "section":
            text += "\n[" + draw(st.sampled_from(["show", "audio", "storage", "show.host_box", "x", "show.x.y"])) + "]\n"
        else:
            text += f"\n{draw(st.sampled_from(_CONFIG_KEYS))} = {draw(toml_value)}\n"
    return text


@FUZZ
@given(text=st.one_of(config_text(), odd_text, st.binary(max_size=400).map(lambda b: b.decode("latin-1"))))
def test_any_config_works_or_is_one_line_naming_it(show: Path, text: str) -> None:
    (show / "config.toml").write_bytes(text.encode("utf-8", "surrogatepass"))

    def load() -> list[str]:
        try:
            load_settings(show)
        except CastlineError as exc:
            return str(exc).split("\n")
        return []

    try:
        assert_one_line_each(bounded(load), "config.toml")
    finally:
        (show / "config.toml").write_text(CONFIG)


def test_the_fuzz_show_is_sound(show: Path) -> None:
    """The unchanged sample show ingests without a problem, so the fuzz
    tests above start from something that works."""
    shutil.copy2(REPO / NOTES, show / NOTES)
    lines, texts = bounded(lambda: ingest_lines(show))
    assert lines == [] and len(texts) == 2


# -- transcripts ----------------------------------------------------------------------------------------------------

_MARKUP = ["<v Ann>", "<v.loud Bo Li>", "</v>", "<b>", "</b>", "<i>", "</i>", "<c.x>", "</c>", "<00:00:01.000>", "&lt;",
           "&gt;", "&amp;", "&nbsp;", "&#x21;", "<", ">", "&", "-->", "--", "<ruby>", "<rt>", "{\\an8}", "<font color=red>"]
cue_text = st.lists(st.one_of(odd_text, st.sampled_from(_MARKUP)), min_size=1, max_size=6).map("".join)


def _stamp(ms: int, sep: str) -> str:
    h, rem = divmod(ms, 3_600_000)
    return f"{h:02d}:{rem // 60_000:02d}:{rem // 1000 % 60:02d}{sep}{ms % 1000:03d}"


@st.composite
def transcript(draw) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(["vtt", "srt"]))
    sep = "." if fmt == "vtt" else ","
    blocks = ["WEBVTT"] if fmt == "vtt" else []
    for i in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, 10**7))
        end = start + draw(st.integers(-1000, 10**5))
        timing = f"{_stamp(start, sep)} --> {_stamp(max(0, end), sep)}"
        if draw(st.integers(0, 9)) == 0:
            timing = draw(st.sampled_from(["00:00:99.000 --> 00:01.000", "1 --> 2", "-->", "00:00.000 --> 00:00:01.000 x:y",
                                           "99999999999999999999:00:00,000 --> 00:00:01,000"]))
        lines = [str(i + 1)] if fmt == "srt" else []
        lines += [timing] + draw(st.lists(cue_text, min_size=1, max_size=3))
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks) + "\n"
    if draw(st.integers(0, 9)) == 0:
        text = draw(odd_text)
    return fmt, text.encode("utf-8")


@settings(FUZZ, max_examples=100)
@given(case=transcript())
def test_any_transcript_reads_or_is_one_line_and_writes_back_the_same(show: Path, case: tuple[str, bytes]) -> None:
    """A transcript either reads, and what castline publishes from it reads
    back as the same cues, or is one line naming the file."""
    from pipeline.ingest.transcript import read_transcript, transcript_bytes

    fmt, content = case
    path = show / "episodes" / f"fuzz.{fmt}"
    path.write_bytes(content)

    def read_write_read() -> tuple[list[str], list, list]:
        try:
            cues = read_transcript(path)
        except CastlineError as exc:
            return [str(exc.relative_to(show))], [], []
        path.with_suffix(".out" + path.suffix).write_bytes(transcript_bytes(cues, fmt))
        again = read_transcript(path.with_suffix(".out" + path.suffix))
        return [], [(c.start, c.end, c.text, c.speaker) for c in cues], [(c.start, c.end, c.text, c.speaker) for c in again]

    lines, cues, again = bounded(read_write_read)
    assert_one_line_each(lines, f"episodes/fuzz.{fmt}")
    assert again == cues
