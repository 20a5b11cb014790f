"""Something that is no file where a result file goes (a folder of its name, a dangling
link): a delivery is never answered "written" with nothing on disk, and ``collect --to``
does not drop the result it fetched for it. And what keeps a receiver from starting: a
file where it keeps a folder, an option value that is wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from clihere import run_here
from clirun import CLI, cli_env, run_process
from receivekit import (
    SECRET,
    Receiver,
    Running,
    envelope,
    receive_env,
    receiver,
    start_receiver,
)
from seotasks_dataforseo.emulator import DataForSEOEmulator

__all__ = ["receiver", "start_receiver"]  # the fixtures, found by pytest here

TASK = "11051535-1535-0066-0000-000000000001"


@pytest.mark.parametrize("obstacle", ["folder", "dangling link"])
def test_a_postback_meeting_no_file_is_503_and_written_once_it_is_gone(
    receiver: Running, obstacle: str
) -> None:
    place = receiver.app.store.root / "dataforseo" / f"{TASK}.json"
    place.parent.mkdir(parents=True)
    if obstacle == "folder":
        place.mkdir()
    else:
        place.symlink_to(place.parent / "nowhere")
    body = json.dumps(envelope(TASK)).encode()
    refused = receiver.post(f"/{SECRET}/postback", body)
    assert refused.status == 503 and not receiver.lines  # the vendor delivers again
    place.rmdir() if obstacle == "folder" else place.unlink()
    written = receiver.post(f"/{SECRET}/postback", body)
    assert written.status == 200 and json.loads(written.data)["written"] == 1
    assert json.loads(place.read_bytes())["tasks"][0]["id"] == TASK
    assert [line["id"] for line in receiver.lines] == [TASK]


def test_collect_into_a_folder_with_no_file_in_the_way_keeps_the_task(tmp_path: Path) -> None:
    """A drained task whose file's place was a folder was fetched (consumed) and its
    result dropped as "already stored": it is a storage error, and the task's journal
    entry keeps it for the next run, which writes it once the folder is gone."""
    with DataForSEOEmulator(size=0, enforce_limits=False) as emulator:
        posted = datetime.now(UTC) - timedelta(hours=1)
        [task] = emulator.add_tasks(
            1, kinds=["serp/google/organic"], posted=posted, delay=timedelta(minutes=1)
        )
        env = cli_env(tmp_path, {"dataforseo": emulator.settings})
        results = tmp_path / "results"
        (results / "dataforseo" / f"{task}.json").mkdir(parents=True)
        args = ["collect", "-p", "dataforseo", "-o", "families=serp", "--to", str(results)]
        first = run_here(args, env)
        assert first.returncode == 6, first.stdout + first.stderr
        assert "is in the way of a result file" in first.stdout + first.stderr
        (results / "dataforseo" / f"{task}.json").rmdir()
        second = run_here(args, env)
    assert second.returncode == 0, second.stderr
    assert (
        json.loads((results / "dataforseo" / f"{task}.json").read_bytes())["tasks"][0]["id"] == task
    )


@pytest.mark.parametrize(
    "place", ["dataforseo", ".pingbacks", ".pingbacks/failed", ".owed", ".rejected"]
)
def test_a_receiver_with_a_file_in_the_way_of_its_folders_does_not_start(
    tmp_path: Path, place: str
) -> None:
    """A file where the receiver keeps a folder was an internal error (exit 4) at the
    start, or (``.pingbacks``) a 503 for every pingback once serving."""
    folder = tmp_path / "results"
    (folder / place).parent.mkdir(parents=True, exist_ok=True)
    (folder / place).write_text("x")
    args = ["receive", "--listen", "127.0.0.1:0", "--to", str(folder)]
    done = run_process(
        [*CLI, *args], env=receive_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 6, done.stderr
    assert f"{folder / place} is not writable: something that is no folder is in its place" in (
        done.stderr
    )


def test_a_wrong_option_value_is_exit_2_and_missing_credentials_only_a_warning(
    tmp_path: Path,
) -> None:
    """Any `ConfigError` of the pingback client was a warning ("pingbacks will be queued
    but not collected") and the receiver served on: a wrong value is exit 2, as the exit
    code table says; only credentials not given anywhere (`MissingSetting`) warn."""
    folder = tmp_path / "results"
    args = ["receive", "--listen", "127.0.0.1:0", "--to", str(folder)]
    env = receive_env(tmp_path, {"login": "me", "password": "pw-1234"})
    wrong = run_process(
        [*CLI, *args, "-o", "base_url=ftp://x"], env=env, capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 2 and "seotasks: ConfigError: dataforseo: base_url" in wrong.stderr
    assert "receiving on" not in wrong.stderr
    with Receiver(folder, receive_env(tmp_path)) as running:
        assert "pingbacks will be queued but not collected" in running.stderr
        assert "missing 'login'" in running.stderr
        assert running.stop() == 0


@pytest.mark.parametrize(
    "option",
    # The last three are the provider's own checks (`Provider.configure`), which did not
    # run while a credential was missing.
    ["page_size=ten", "base_url=http://[::1", "base_url=ftp://x", "page_size=0", "families=nope"],
)
def test_a_wrong_option_value_is_exit_2_even_where_the_credentials_are_missing(
    tmp_path: Path, option: str
) -> None:
    """The credentials missing, a wrong option value was never read: the first missing
    setting ended the reading, and the receiver served on with the warning about it.
    Every given value is read first: a wrong one is exit 2, nothing served."""
    args = ["receive", "--listen", "127.0.0.1:0", "--to", str(tmp_path / "results")]
    wrong = run_process(
        [*CLI, *args, "-o", option],
        env=receive_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert wrong.returncode == 2, wrong.stderr
    assert "seotasks: ConfigError: dataforseo: " in wrong.stderr
    assert option.partition("=")[0] in wrong.stderr
    assert "receiving on" not in wrong.stderr
    assert "missing" not in wrong.stderr
