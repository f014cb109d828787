"""Unexpected errors are logged without their message: it may quote personal data."""

import logging

from flask import Flask

from gisapp.api.errors import log_unexpected


def test_an_unexpected_error_is_logged_without_its_message(caplog):
    app = Flask(__name__)
    with app.test_request_context("/api/v1/events", method="POST"), caplog.at_level(logging.ERROR, "gisapp"):
        phone, name = "13812345678", "张三丰"
        try:
            raise ValueError(f'value "{phone}" of reporter {name} is out of range')
        except ValueError as exc:
            log_unexpected(exc)
    text = caplog.text
    assert "builtins.ValueError" in text and "POST /api/v1/events" in text and "test_errors.py" in text
    assert phone not in text and name not in text
