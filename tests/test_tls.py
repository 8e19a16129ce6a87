"""The trust store is built only where there is TLS: an https base URL is always verified."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from fake_api import MANAGEMENT_KEY

from orsync.api import ApiClient, RetryPolicy
from orsync.errors import ApiError


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed, and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl here to make a certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_an_https_api_with_a_certificate_no_one_signed_is_refused(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        connection, _ = server.accept()
        try:
            context.wrap_socket(connection, server_side=True)  # the client walks away
        except (ssl.SSLError, OSError):
            pass
        finally:
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    url = f"https://127.0.0.1:{port}/api/v1"
    try:
        with (
            ApiClient(url, MANAGEMENT_KEY, retry=RetryPolicy(attempts=1)) as client,
            pytest.raises(ApiError, match="could not reach the API") as caught,
        ):
            client.list_destinations()
    finally:
        server.close()
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value.__cause__)
