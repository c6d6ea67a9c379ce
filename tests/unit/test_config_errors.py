"""Settings are checked when loaded; a wrong one is one line naming the variable."""

from __future__ import annotations

import pika
import pytest
from kombu import Connection

from shared.cli import main
from shared.config import ConfigError, broker_url_of, load_settings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "vhost"),
    [
        ("amqp://guest:guest@h//", "/"),
        ("amqp://guest:guest@h/", "/"),
        ("amqp://guest:guest@h", "/"),
        ("amqp://guest:guest@h:5672/%2F", "/"),
        ("amqp://guest:guest@h/stride", "stride"),
        ("amqps://guest:guest@h:5671/a%2Fb?heartbeat=10", "a/b"),
    ],
)
def test_kombu_and_pika_read_the_same_vhost(raw: str, vhost: str):
    url = broker_url_of(raw)
    assert Connection(url).virtual_host == vhost
    assert pika.URLParameters(url).virtual_host == vhost
    assert Connection(url).userid == "guest"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"STRIDE_BROKER_URL": "nonsense://"}, "STRIDE_BROKER_URL"),
        ({"STRIDE_BROKER_URL": "rabbit"}, "STRIDE_BROKER_URL"),
        ({"STRIDE_BROKER_URL": "amqp:///%2F"}, "STRIDE_BROKER_URL"),
        ({"STRIDE_PROGRESS_DATABASE_URL": "mysql://x/y"}, "STRIDE_PROGRESS_DATABASE_URL"),
        ({"STRIDE_CONSUMER_BATCH_SIZE": "many"}, "STRIDE_CONSUMER_BATCH_SIZE"),
        ({"STRIDE_RELAY_POLL_INTERVAL": "soon"}, "STRIDE_RELAY_POLL_INTERVAL"),
        ({"STRIDE_CONSUMER_RETRY_DELAYS": "1,-5"}, "STRIDE_CONSUMER_RETRY_DELAYS"),
    ],
)
def test_a_wrong_setting_names_its_variable(environ: dict[str, str], variable: str, tmp_path):
    with pytest.raises(ConfigError, match=variable):
        load_settings({"STRIDE_VAR_DIR": str(tmp_path), **environ})


def test_the_command_says_what_is_wrong_in_one_line(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("STRIDE_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("STRIDE_BROKER_URL", "nonsense://")
    assert main(["consume", "progress"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "STRIDE_BROKER_URL" in error and "amqp://" in error
