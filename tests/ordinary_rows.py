"""The situations of ``test_ordinary_failures``: ordinary bad input, one `Row` each (the
arguments, made in the test's folder by a `Lab`; the exit code; a phrase of the one line
on stderr)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

#: Bytes of an argument that are not UTF-8 arrive in Python as a lone surrogate.
NOT_UTF8 = "\udcff"
#: A listing stopped early: it writes a resume file and never waits for pacing.
TASKS = ["tasks", "-p", "serpstat", "--status", "any", "--format", "jsonl", "-L", "3"]
#: Collect from Serpstat: its reads do not consume, so the rows cannot drain each other.
COLLECT = ["collect", "-p", "serpstat", "-L", "2", "--workers", "1"]
SPEC = {"keyword": "shoes", "location": "23", "language": "1"}


class Lab:
    """The files a row needs, made in the test's own folder."""

    def __init__(self, folder: Path, made: Mapping[str, Path]) -> None:
        self.folder = folder
        self.made = made
        #: A regular file: a path below it cannot be a folder, even for root.
        self.regular = folder / "regular"
        self.regular.write_text("x")

    def file(self, name: str, content: str | bytes) -> str:
        path = self.folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return str(path)

    def copy(self, which: str) -> str:
        """A fresh copy of a resume file a real run of ``which`` wrote."""
        path = self.folder / f"{which}.json"
        shutil.copy(self.made[which], path)
        return str(path)

    def edited(self, which: str, change: Callable[[dict[str, Any]], object]) -> str:
        """A copy of ``which`` with ``change`` applied to its JSON."""
        data = json.loads(self.made[which].read_text(encoding="utf-8"))
        change(data)
        return self.file(f"{which}-edited.json", json.dumps(data))

    def spec(self, content: str | bytes) -> str:
        return self.file("specs.jsonl", content)

    def profile(self, content: str | bytes) -> str:
        return self.file("config.toml", content)


@attrs.frozen
class Row:
    """One situation: the arguments (made with a `Lab`), the exit code, a phrase of the
    one line on stderr; ``env`` adds variables (a `Lab` may fill its paths)."""

    name: str
    args: Callable[[Lab], list[str]]
    code: int
    says: str
    env: Callable[[Lab], dict[str, str]] = lambda lab: {}


def _usage(name: str, args: list[str], says: str) -> Row:
    """A usage error (exit 2) of arguments that need no file of the `Lab`'s."""
    return Row(name, lambda lab: args, 2, says)


def _entry(change: dict[str, Any]) -> Callable[[dict[str, Any]], object]:
    return lambda data: data["providers"]["serpstat"].update(change)


def _resume_rows(command: str, base: list[str]) -> list[Row]:
    """A resume file of ``command`` gone wrong in each way found, given to ``command``."""

    def given(content: Callable[[Lab], str]) -> Callable[[Lab], list[str]]:
        return lambda lab: [*base, "--resume", content(lab)]

    return [
        Row(f"{command}-resume-empty", given(lambda lab: lab.file("r.json", "")), 2, "resume"),
        Row(
            f"{command}-resume-binary",
            given(lambda lab: lab.file("r.json", bytes(range(256)))),
            2,
            "cannot read resume file",
        ),
        Row(
            f"{command}-resume-cut-off",
            given(lambda lab: lab.file("r.json", lab.made[command].read_text()[:90])),
            2,
            "cannot read resume file",
        ),
        Row(
            f"{command}-resume-nested-too-deep",
            given(lambda lab: lab.file("r.json", "[" * 100_000 + "]" * 100_000)),
            2,
            "nested too deeply",
        ),
        Row(
            f"{command}-resume-query-not-an-object",
            given(lambda lab: lab.edited(command, lambda d: d.update(query=["x"]))),
            2,
            "query is malformed",
        ),
        Row(
            f"{command}-resume-query-null",
            given(lambda lab: lab.edited(command, lambda d: d.update(query=None))),
            2,
            "query is malformed",
        ),
        Row(
            f"{command}-resume-window-not-a-time",
            given(lambda lab: lab.edited(command, lambda d: d.update(window={"since": "2d"}))),
            2,
            "window is malformed",
        ),
        Row(
            f"{command}-resume-of-a-newer-format",
            given(lambda lab: lab.edited(command, lambda d: d.update(format="seotasks-resume/9"))),
            2,
            "not a seotasks resume file",
        ),
        Row(
            f"{command}-resume-a-folder",
            lambda lab: [*base, "--resume", str(lab.folder)],
            2,
            "is a directory",
        ),
        Row(
            f"{command}-resume-in-a-missing-folder",
            lambda lab: [*base, "--resume", str(lab.folder / "nope" / "r.json")],
            2,
            "does not exist",
        ),
        Row(
            f"{command}-resume-below-a-file",
            lambda lab: [*base, "--resume", str(lab.regular / "sub" / "r.json")],
            2,
            "does not exist",
        ),
        Row(
            f"{command}-resume-dev-null",
            lambda lab: [*base, "--resume", "/dev/null"],
            2,
            "not a regular file",
        ),
    ]


ROWS: list[Row] = [
    *_resume_rows("tasks", TASKS),
    *_resume_rows("collect", COLLECT),
    *(
        Row(
            f"submit-resume-{name}",
            lambda lab, f=path: ["submit", "-p", "serpstat", lab.spec(""), "--resume", f(lab)],
            2,
            says,
        )
        for name, path, says in [
            ("in-a-missing-folder", lambda lab: str(lab.folder / "nope" / "j"), "does not exist"),
            ("a-folder", lambda lab: str(lab.folder), "is a directory"),
        ]
    ),
    # -- resume files: edited, or of another run ------------------------------------------
    Row(
        "tasks-resume-done-not-a-boolean",
        lambda lab: [*TASKS, "--resume", lab.edited("tasks", _entry({"done": "no"}))],
        2,
        "done for serpstat is not true or false",
    ),
    Row(
        "tasks-resume-nan",
        lambda lab: [
            *TASKS,
            "--resume",
            lab.file(
                "r.json", lab.made["tasks"].read_text().replace('"done": false', '"done": NaN')
            ),
        ],
        2,
        "NaN",
    ),
    Row(
        "tasks-resume-keys-of-another-provider",
        lambda lab: [
            *TASKS,
            "--resume",
            lab.edited("tasks", _entry({"written": ["dataforseo:1"]})),
        ],
        2,
        "written keys for serpstat are malformed",
    ),
    Row(
        "tasks-resume-cursor-edited",
        lambda lab: [*TASKS, "--resume", lab.edited("tasks", _entry({"cursor": "st1.abc.def"}))],
        2,
        "cursor for serpstat is not valid",
    ),
    Row(
        "tasks-resume-cursor-of-another-provider",
        lambda lab: [
            *TASKS,
            "--resume",
            lab.edited("tasks", _entry({"cursor": lab.made["dataforseo-cursor"].read_text()})),
        ],
        2,
        "is a cursor of dataforseo",
    ),
    Row(
        "tasks-resume-of-collect",
        lambda lab: [*TASKS, "--resume", lab.copy("collect")],
        2,
        "resume file of a seotasks collect run, not of seotasks tasks",
    ),
    Row(
        "collect-resume-of-tasks",
        lambda lab: [*COLLECT, "--resume", lab.copy("tasks")],
        2,
        "resume file of a seotasks tasks run, not of seotasks collect",
    ),
    Row(
        "tasks-resume-other-status",
        lambda lab: [*TASKS, "--status", "completed", "--resume", lab.copy("tasks")],
        2,
        "with --status any, not --status completed",
    ),
    Row(
        "tasks-resume-other-providers",
        lambda lab: [*TASKS, "-p", "dataforseo", "--resume", lab.copy("tasks")],
        2,
        "written for providers serpstat",
    ),
    # -- times ------------------------------------------------------------------------------
    _usage("tasks-since-a-word", [*TASKS, "--since", "yesterday"], "ISO 8601"),
    _usage(
        "tasks-since-beyond-the-calendar",
        [*TASKS, "--since", "99999999999d"],
        "before the year 1",
    ),
    _usage("tasks-until-before-year-1", [*TASKS, "--until", "800000d"], "--until 800000d"),
    _usage(
        "collect-since-beyond-the-calendar",
        [*COLLECT, "--since", "999999999w"],
        "before the year 1",
    ),
    _usage(
        "tasks-since-older-than-the-vendor-keeps",
        [*TASKS, "--since", "0001-01-01"],
        "keeps tasks for",
    ),
    _usage("tasks-since-not-utf8", [*TASKS, "--since", NOT_UTF8], "ISO 8601"),
    _usage(
        "tasks-sandbox-day-at-year-1",
        [*TASKS, "--sandbox", "--sandbox-day", "0001-01-01"],
        "--sandbox-day must be within",
    ),
    # -- -o options ---------------------------------------------------------------------
    _usage("tasks-o-no-value", [*TASKS, "-o", "novalue"], "KEY=VALUE"),
    _usage("tasks-o-not-an-int", [*TASKS, "-o", "page_size=abc"], "expected int"),
    _usage("tasks-o-unknown", [*TASKS, "-o", "bogus=1"], "bogus"),
    _usage(
        "collect-o-not-a-choice",
        ["collect", "-p", "dataforseo", "-o", "source=bogus"],
        "must be one of",
    ),
    _usage(
        "tasks-o-url-python-refuses",
        [*TASKS, "-o", "base_url=http://[::1"],
        "base_url is not a valid URL",
    ),
    Row(
        "submit-o-url-port-out-of-range",
        lambda lab: ["submit", "-p", "serpstat", "-o", "base_url=http://x:99999", lab.spec("")],
        2,
        "Port out of range",
    ),
    *(
        Row(
            f"submit-{flag[2:]}-at-a-vendor-without-callbacks",
            lambda lab, f=flag: ["submit", "-p", "serpstat", f, "https://h.example/", lab.spec("")],
            2,
            f"{flag}: serpstat cannot post a task with a {flag[2:]}_url",
        )
        for flag in ("--pingback", "--postback")
    ),
    _usage(
        "collect-o-url-host-idna-refuses",
        [*COLLECT, "-o", "base_url=http://a..b/"],
        "base_url is not a valid URL",
    ),
    _usage(
        "tasks-o-secret-not-utf8",
        [*TASKS, "-o", f"token={NOT_UTF8}"],
        "'token' is not valid UTF-8 text: the value",
    ),
    _usage(
        "collect-o-login-not-utf8",
        ["collect", "-p", "dataforseo", "-o", f"login={NOT_UTF8}"],
        "'login' is not valid UTF-8 text",
    ),
    Row(
        "env-url-python-refuses",
        lambda lab: TASKS,
        2,
        "base_url is not a valid URL",
        env=lambda lab: {"SEOTASKS_SERPSTAT_BASE_URL": "http://[::1"},
    ),
    Row(
        "env-secret-not-utf8",
        lambda lab: TASKS,
        2,
        "SEOTASKS_SERPSTAT_TOKEN",
        env=lambda lab: {"SEOTASKS_SERPSTAT_TOKEN": NOT_UTF8},
    ),
    Row("tasks-o-wrong-token", lambda lab: [*TASKS, "-o", "token=wrong"], 3, "AuthError"),
    # -- cursors, limits, providers -------------------------------------------------------
    _usage("tasks-cursor-garbage", [*TASKS, "--cursor", "garbage"], "bad --cursor"),
    Row(
        "tasks-cursor-edited",
        lambda lab: [*TASKS, "--cursor", lab.made["serpstat-cursor"].read_text()[:-2] + "AA"],
        2,
        "bad --cursor",
    ),
    Row(
        "tasks-cursor-of-an-unlisted-provider",
        lambda lab: [*TASKS, "--cursor", lab.made["dataforseo-cursor"].read_text()],
        2,
        "not listed with -p",
    ),
    _usage("tasks-limit-negative", [*TASKS, "--limit", "-1"], "--limit"),
    _usage("collect-limit-not-a-number", [*COLLECT, "--limit", "x"], "--limit"),
    _usage("collect-limit-negative", [*COLLECT, "--limit", "-2"], "--limit: must be 0 or more"),
    _usage("collect-mb-zero", [*COLLECT, "--max-result-mb", "0"], "--max-result-mb: must be 1 or"),
    _usage("tasks-unknown-provider", ["tasks", "-p", "serpstt"], "did you mean"),
    _usage("sandbox-unknown-provider", ["sandbox", "-p", "nope"], "nope"),
    _usage(
        "sandbox-provider-twice", ["sandbox", "-p", "serpstat", "-p", "serpstat"], "given twice"
    ),
    _usage("sandbox-size-negative", ["sandbox", "--size", "-1"], "--size"),
    _usage("providers-unknown-format", ["providers", "--format", "xml"], "xml"),
    # -- submit spec files ----------------------------------------------------------------
    *(
        Row(f"submit-{name}", lambda lab, f=path: ["submit", "-p", "serpstat", f(lab)], 2, says)
        for name, path, says in [
            ("missing-file", lambda lab: str(lab.folder / "none.jsonl"), "cannot read"),
            ("folder", lambda lab: str(lab.folder), "cannot read"),
            ("below-a-file", lambda lab: str(lab.regular / "specs.jsonl"), "cannot read"),
            ("binary", lambda lab: lab.spec(bytes(range(256))), ":1: not text, a control"),
            ("latin1", lambda lab: lab.spec(b'{"keyword": "caf\xe9"}\n'), ":1: not UTF-8"),
            ("utf16", lambda lab: lab.spec(json.dumps(SPEC).encode("utf-16")), "not UTF-8"),
            ("nested-too-deep", lambda lab: lab.spec("[" * 100_000), "nested too deeply"),
            ("not-json", lambda lab: lab.spec("{nope\n"), ":1: not JSON"),
            ("nan", lambda lab: lab.spec('{"keyword": "a", "tag": NaN}\n'), ":1: not JSON: NaN"),
            ("a-list", lambda lab: lab.spec("[1]\n"), "must be a JSON object"),
            (
                "unknown-field",
                lambda lab: lab.spec(json.dumps({**SPEC, "bogus": 1})),
                "unknown task spec field(s): bogus",
            ),
            (
                "device-not-a-choice",
                lambda lab: lab.spec(json.dumps({**SPEC, "device": "fridge"})),
                "device must be one of desktop, mobile, got 'fridge'",
            ),
        ]
    ),
    # -- profiles ---------------------------------------------------------------------------
    *(
        Row(
            f"{command}-profile-{name}",
            lambda lab, c=command: (
                ["tasks", "-p", "serpstat", "--profile", "work"]
                if c == "tasks"
                else ["submit", "-p", "serpstat", "--profile", "work", lab.spec("")]
            ),
            2,
            says,
            env=lambda lab, f=path: {"SEOTASKS_CONFIG": f(lab)},
        )
        for command in ("tasks", "submit")
        for name, path, says in [
            ("a-folder", lambda lab: str(lab.folder), "cannot read profile file"),
            ("below-a-file", lambda lab: str(lab.regular / "c.toml"), "cannot read profile file"),
            ("binary", lambda lab: lab.profile(bytes(range(256))), "not UTF-8 text"),
            ("latin1", lambda lab: lab.profile(b'[profiles.work]\nx = "\xe9"\n'), "not UTF-8"),
            ("not-toml", lambda lab: lab.profile("[profiles\n"), "not valid TOML"),
            ("missing", lambda lab: str(lab.folder / "none.toml"), "does not exist"),
            (
                "wrong-type",
                lambda lab: lab.profile('[profiles.work.serpstat]\npage_size = "x"\n'),
                "expected int",
            ),
        ]
    ),
]
