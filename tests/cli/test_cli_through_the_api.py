"""The `mailyard` command through the native API: locally over the database (as the account's operator), and
against a remote server with --url and a key. Each command's output is what a person or a script reads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.cli.conftest import Cli
from tests.web.conftest import LiveService, start_service, stop_service

pytestmark = pytest.mark.timeout(120)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_first_task_from_the_command_line_alone(local: Cli, tmp_path: Path) -> None:
    added = local.json("domains", "add", "example.com")
    assert added["verified"] is True
    assert {record["type"] for record in added["dns_records"]} >= {"TXT"}
    assert "DNS records to publish" in local.output("domains", "show", "example.com")
    assert local.json("senders", "add", "news@example.com", "--name", "News")["address"] == "news@example.com"

    text = write(tmp_path / "welcome.txt", "Hello {{name}}!")
    html = write(tmp_path / "welcome.html", "<p>Hello <b>{{name}}</b>!</p>")
    template = local.json("templates", "create", "--name", "welcome", "--text", str(text), "--html", str(html))
    preview = local.json("templates", "preview", str(template["id"]), "--variables", '{"name": "Ada"}')
    assert preview["text"] == "Hello Ada!" and preview["missing"] == []
    assert "missing variables: name" in local.output("templates", "preview", str(template["id"]))

    created = local.json("lists", "create", "friends")
    people = write(tmp_path / "friends.csv", "email,name\nada@example.org,Ada\nalan@example.org,Alan\nbroken,X\n")
    imported = local.output("lists", "import", str(created["id"]), str(people))
    assert "imported 3 recipients into list 1: 2 valid, 1 invalid" in imported
    assert "line 4: 'broken'" in imported
    exported = tmp_path / "export.csv"
    local.output("lists", "export", "1", str(exported))
    assert exported.read_text().splitlines() == [
        "email,variables",
        'ada@example.org,"{""name"": ""Ada""}"',
        'alan@example.org,"{""name"": ""Alan""}"',
        'broken,"{""name"": ""X""}"',
    ]

    task = local.json(
        "tasks",
        "create",
        "--from",
        "News <news@example.com>",
        "--subject",
        "Hi {{name}}",
        "--template",
        "1",
        "--list",
        "1",
    )
    assert task["counters"]["requested"] == 2  # the invalid address is not sent to
    of_task = local.json("stats", "--task", str(task["id"]))
    assert set(of_task) == {"daily", "overall"} and "requested" in of_task["overall"]
    assert f"Statistics of task {task['id']}" in local.output("stats", "--task", str(task["id"]))
    assert local.output("stats", "--task", "99", code=1).startswith("error: ")
    listed = local.json("tasks", "list")
    assert [item["id"] for item in listed["items"]] == [task["id"]]
    assert "Deliveries" in local.output("tasks", "show", str(task["id"]))
    assert "task 1 paused" in local.output("tasks", "pause", "1")
    assert local.json("tasks", "list", "--paused")["total"] == 1
    assert "resumed" in local.output("tasks", "resume", "1")


def test_every_read_command_pages_and_prints_json(local: Cli) -> None:
    local.output("users", "create", "bob")
    users = local.json("users", "list", "--limit", "1")
    assert (users["total"], len(users["items"]), users["items"][0]["nickname"]) == (2, 1, "alice")
    assert "next page: --offset 1" in local.output("users", "list", "--limit", "1")
    keys = local.json("keys", "list")
    assert keys["total"] == 2
    assert "revoked" in local.output("keys", "revoke", str(keys["items"][-1]["id"]))
    assert local.json("keys", "list")["total"] == 1
    for command in (
        ("domains", "list"),
        ("senders", "list"),
        ("templates", "list"),
        ("lists", "list"),
        ("outbox", "list"),
        ("suppressions", "list"),
    ):
        assert local.json(*command)["total"] == 0
    stats = local.json("stats", "--start", "2026-01-01", "--end", "2026-01-07")
    assert stats["overall"]["requested"] == 0
    assert (stats["overall"]["opened_by_humans"], stats["overall"]["opened_by_machines"]) == (0, 0)


def test_suppressions_from_the_command_line(local: Cli) -> None:
    assert "1 suppressed, 1 not valid" in local.output("suppressions", "add", "trap@example.org", "nope")
    assert [item["address"] for item in local.json("suppressions", "list")["items"]] == ["trap@example.org"]
    assert "no longer suppressed" in local.output("suppressions", "remove", "trap@example.org")
    missing = local.output("suppressions", "remove", "trap@example.org", code=1)
    assert missing.strip().startswith("error:") and len(missing.strip().splitlines()) == 1


def test_errors_are_one_line_and_a_non_zero_exit(local: Cli, tmp_path: Path) -> None:
    for args in (("tasks", "show", "99"), ("domains", "show", "nowhere.example"), ("templates", "delete", "7")):
        output = local.output(*args, code=1)
        assert output.startswith("error: ") and len(output.strip().splitlines()) == 1, output
    for args in (("tasks", "show", "abc"), ("tasks", "show"), ("--no-such-option",), ("lists", "list", "--limit", "0")):
        usage = local.output(*args, code=2)  # Click's exit code for a wrong command line
        assert usage.startswith("error: ") and "--help`)" in usage, usage
        assert len(usage.strip().splitlines()) == 1, usage
    assert "--variables is not JSON" in local.output("templates", "preview", "1", "--variables", "{", code=1)
    unreachable = Cli(
        {**local.env, "MAILYARD_URL": "http://127.0.0.1:9", "MAILYARD_SECRET_ID": "x", "MAILYARD_SECRET_KEY": "y"}
    )
    assert unreachable.output("tasks", "list", code=1).startswith("error: cannot reach the server")
    keyless = Cli({**local.env, "MAILYARD_URL": "http://127.0.0.1:9"})
    long_error = keyless.output("tasks", "list", code=1)  # longer than the 80 columns of a console without a tty
    assert len(long_error) > 80 and "needs a key" in long_error and len(long_error.strip().splitlines()) == 1


def test_the_local_only_reads_print_json_and_page(local: Cli) -> None:
    kept = local.json("inbound", "--kept", "--limit", "5", "--offset", "10")
    assert kept == {"items": [], "total": 0, "offset": 10, "limit": 5}
    assert local.json("relays") == []  # no relay configured
    assert local.json("accounts", "set", "--time-zone", "Europe/Paris")["time_zone"] == "Europe/Paris"
    assert "daily quota 300" in local.output("accounts", "set", "--daily-quota", "300")
    assert local.json("accounts", "set", "--unlimited")["daily_quota"] is None


def test_version() -> None:
    assert Cli({}).output("--version").startswith("mailyard ")


# --- a remote server ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    service = start_service(tmp_path_factory.mktemp("remote"))
    service.create_key("default", "admin")
    yield service
    stop_service(service)


def remote_cli(remote: LiveService, secret_id: str, secret_key: str, data_dir: Path) -> Cli:
    """The CLI steering `remote` with a key, with a data directory that must stay unopened."""
    return Cli(
        {
            "MAILYARD_URL": remote.url,
            "MAILYARD_SECRET_ID": secret_id,
            "MAILYARD_SECRET_KEY": secret_key,
            "MAILYARD_DATA_DIR": str(data_dir),
        }
    )


def test_an_operator_steers_a_server_they_do_not_run_on(remote: LiveService, tmp_path: Path) -> None:
    cli = remote_cli(remote, *remote.keys["admin"], tmp_path / "nothing-here")
    cli.output("domains", "add", "example.com")
    cli.output("senders", "add", "news@example.com")
    template = cli.json("templates", "create", "--name", "t", "--text", str(write(tmp_path / "t.txt", "Hi {{name}}")))
    listed = cli.json("lists", "create", "remote")
    rows = "email,name\n" + "".join(f"user{number}@example.org,User {number}\n" for number in range(50))
    cli.output("lists", "import", str(listed["id"]), str(write(tmp_path / "r.csv", rows)))
    task = cli.json(
        "tasks",
        "create",
        "--from",
        "news@example.com",
        "--subject",
        "Hello",
        "--template",
        str(template["id"]),
        "--list",
        str(listed["id"]),
    )
    assert "done" in cli.output("tasks", "watch", str(task["id"]), "--interval", "0.2")
    kept = cli.json("outbox", "list", "--task", str(task["id"]), "--limit", "100")
    assert kept["total"] == 50
    raw = cli.output("outbox", "show", str(kept["items"][0]["id"]), "--raw")
    assert "Subject: Hello" in raw and "User " in raw  # the quoted-printable body may fold the line
    record = cli.json("outbox", "show", str(kept["items"][0]["id"]))
    assert {name: record[name] for name in ("id", "recipient", "task_id")} == {
        name: kept["items"][0][name] for name in ("id", "recipient", "task_id")
    }
    assert "exclude each other" in cli.output("outbox", "show", "1", "--raw", "--json", code=1)
    assert not (tmp_path / "nothing-here").exists()  # nothing was opened locally


def test_keys_and_the_account_are_changed_on_the_remote_server(remote: LiveService, tmp_path: Path) -> None:
    admin = remote_cli(remote, *remote.keys["admin"], tmp_path / "nothing-here")
    issued = admin.json("keys", "create", "--account", "default", "--user", "carol", "--role", "member")
    assert set(issued) == {"SecretId", "SecretKey"}
    carol = remote_cli(remote, issued["SecretId"], issued["SecretKey"], tmp_path / "nothing-here")
    assert carol.json("tasks", "list")["total"] >= 0  # the server knows the new key
    second = admin.output("keys", "create", "--account", "default", "--user", "carol")
    assert "user      carol (member)" in second and "SecretKey" in second
    assert issued["SecretId"] in {key["secret_id"] for key in remote.call("admin", "GET", "/keys")}
    wrong = admin.output("keys", "create", "--account", "elsewhere", "--user", "x", code=1)
    assert wrong.strip() == "error: the key belongs to account 'default', not 'elsewhere'"

    assert admin.json("accounts", "set", "--daily-quota", "500")["daily_quota"] == 500
    assert "daily quota unlimited" in admin.output("accounts", "set", "--unlimited")
    assert admin.json("accounts", "set")["daily_quota"] is None  # no change asked: the account as it is
    for command, args in (("relays", ()), ("db purge", ()), ("inbound", ("--kept",)), ("keys rotate-master", ())):
        refused = admin.output(*command.split(), *args, code=1)
        assert (
            refused == f"error: `mailyard {command}` works on the local database only; drop --url (and MAILYARD_URL)\n"
        )
    assert not (tmp_path / "nothing-here").exists()  # nothing was opened locally
