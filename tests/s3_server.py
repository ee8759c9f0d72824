"""A local S3-compatible server for the tests: moto's ThreadedMotoServer on a free port.

    with s3_server() as endpoint:                 # http://127.0.0.1:<port>, fake credentials set
        make_bucket(endpoint, "evidence")
        url = f"s3://evidence/disputebot?endpoint={endpoint}&region=us-east-1"

The credentials are moto's dummies, put in the environment (boto3 reads them there, and bot
processes started by a test inherit them).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest

__all__ = ["REGION", "client", "make_bucket", "s3_server"]

REGION = "us-east-1"
_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def s3_server() -> Iterator[str]:
    """Start moto's S3 server (skip the test when moto is not installed); yields its URL."""
    moto_server = pytest.importorskip("moto.server")
    saved = {name: os.environ.get(name) for name in _CREDENTIALS}
    os.environ.update(_CREDENTIALS)
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION)


def make_bucket(endpoint: str, name: str) -> None:
    client(endpoint).create_bucket(Bucket=name)
