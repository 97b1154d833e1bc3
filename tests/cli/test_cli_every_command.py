"""The commands no other test runs: SMTP and dashboard passwords, sharing, running and cancelling a task,
verifying and deleting a domain, deleting a list; and the last frame of `tasks watch`'s progress bar (the
bar of `lists import` is transient: it leaves nothing once the upload is done)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.cli.conftest import Cli


def first_task(local: Cli, tmp_path: Path, *task_options: str) -> int:
    """A domain, a sender, a template, a list of two and a task sending to it; the task's id."""
    local.output("domains", "add", "example.com")
    local.output("senders", "add", "news@example.com")
    (tmp_path / "t.txt").write_text("Hi {{name}}", encoding="utf-8")
    local.output("templates", "create", "--name", "t", "--text", str(tmp_path / "t.txt"))
    listed = local.json("lists", "create", "people")
    (tmp_path / "people.csv").write_text("email,name\nada@example.org,Ada\nalan@example.org,Alan\n", encoding="utf-8")
    local.output("lists", "import", str(listed["id"]), str(tmp_path / "people.csv"))
    task = local.json(
        "tasks",
        "create",
        "--from",
        "news@example.com",
        "--subject",
        "Hi",
        "--template",
        "1",
        "--list",
        "1",
        *task_options,
    )
    return int(task["id"])


def test_passwords_are_set_from_standard_input(local: Cli, tmp_path: Path) -> None:
    first_task(local, tmp_path)
    smtp = local.output("senders", "smtp-password", "news@example.com", "--password-stdin", stdin="correct-horse-1\n")
    assert "SMTP password of news@example.com set" in smtp
    short = local.output("senders", "smtp-password", "news@example.com", "--password-stdin", stdin="short\n", code=1)
    assert short.startswith("error: ") and len(short.strip().splitlines()) == 1, short

    local.output("users", "create", "bob")
    assert "password of bob set" in local.output(
        "users", "passwd", "--user", "bob", "--password-stdin", stdin="a long passphrase\n"
    )
    unknown = local.output("users", "passwd", "--user", "nobody", "--password-stdin", stdin="pw\n", code=1)
    assert unknown.strip() == "error: user 'nobody' not found"


def test_a_task_is_shared_run_and_cancelled(local: Cli, tmp_path: Path) -> None:
    later = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    task_id = first_task(local, tmp_path, "--at", later)  # nothing runs before `tasks run`
    local.output("users", "create", "bob")
    assert f"task {task_id} shared with bob" in local.output("tasks", "grant", str(task_id), "--user", "bob")
    assert local.output("tasks", "grant", str(task_id), "--user", "nobody", code=1).startswith("error: ")
    ran = local.output("tasks", "run", str(task_id))
    assert ran.startswith(f"task {task_id}: run ") and "started with 2 recipients" in ran, ran
    assert f"task {task_id} cancelled" in local.output("tasks", "cancel", str(task_id))
    assert local.json("tasks", "show", str(task_id))["task"]["state"] == "cancelled"
    bar, last = local.output("tasks", "watch", str(task_id), "--interval", "0.1").splitlines()
    # the bar's last frame: both cancelled copies are done, out of both
    assert bar.startswith(f"task {task_id} cancelled: 0 sent, 0 failed ━") and " 2/2 " in bar, bar
    assert last == f"task {task_id} cancelled"


def test_domains_are_verified_and_deleted_and_lists_deleted(local: Cli, tmp_path: Path) -> None:
    first_task(local, tmp_path)
    assert local.json("domains", "verify", "example.com")["verified"] is True
    assert "DNS records to publish" in local.output("domains", "verify", "example.com")
    local.output("domains", "add", "spare.example")
    assert "domain spare.example deleted" in local.output("domains", "delete", "spare.example")
    assert local.output("domains", "show", "spare.example", code=1).startswith("error: ")

    in_use = local.output("lists", "delete", "1", code=1)
    assert in_use.startswith("error: ") and "used by a task" in in_use
    spare = local.json("lists", "create", "spare")
    assert f"recipient list {spare['id']} deleted" in local.output("lists", "delete", str(spare["id"]))
    assert local.json("lists", "list")["total"] == 1
