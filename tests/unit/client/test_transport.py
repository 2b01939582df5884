"""client/transport.py: which certificate a wss:// URL trusts, and a failed TLS handshake
in words."""

from __future__ import annotations

import ssl
from pathlib import Path

from local_gateway.server.tls import make_certificate
from serverless_chat.client.transport import own_host, tls_context, tls_failure, untrusted


def test_the_gateways_certificate_vouches_for_an_address_or_localhost_only() -> None:
    assert own_host("127.0.0.1")
    assert own_host("[::1]")
    assert own_host("LOCALHOST")
    assert own_host("192.168.1.5")
    assert not own_host("abc123.execute-api.eu-west-1.amazonaws.com")
    assert not own_host("localhost.example.com")


def _subjects(context: ssl.SSLContext) -> list[str]:
    return [
        str(dict(field[0] for field in ca["subject"]).get("commonName"))
        for ca in context.get_ca_certs()
    ]


def test_the_state_dirs_certificate_is_trusted_for_its_own_hosts_and_cafile_for_any(
    tmp_path: Path,
) -> None:
    certificate, _ = make_certificate(tmp_path / "tls", ["127.0.0.1"])
    gateway = "serverless-chat local gateway"
    assert gateway in _subjects(tls_context("127.0.0.1", None, certificate))
    assert gateway not in _subjects(tls_context("example.amazonaws.com", None, certificate))
    assert gateway in _subjects(tls_context("example.amazonaws.com", certificate, None))
    missing = tmp_path / "none" / "gateway-cert.pem"
    assert gateway not in _subjects(tls_context("127.0.0.1", None, missing))


def test_each_failure_says_what_to_do() -> None:
    plain = ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number")
    plain.reason = "WRONG_VERSION_NUMBER"
    assert tls_failure(plain).startswith("it does not speak TLS: that is a ws:// port")
    refused = ssl.SSLCertVerificationError(1, "certificate verify failed")
    refused.verify_message = "self-signed certificate"
    assert untrusted(refused, "example.com", None) == (
        "its certificate is not trusted (self-signed certificate): --cafile names one to trust"
    )
    assert "connect from the folder serve runs in (its certificate is x.pem)" in untrusted(
        refused, "127.0.0.1", Path("x.pem")
    )


def test_a_certificate_someone_else_could_have_written_vouches_for_nothing(
    tmp_path: Path,
) -> None:
    """A certificate file planted where connect looks (``.serverless-chat/tls`` under the
    folder it runs in: a shared folder, a cloned repository) would vouch for every address;
    it is trusted only as serve leaves it, the user's own in a folder that is theirs alone,
    as ssh holds its keys' files (the client's own rule: no gateway behaviour)."""
    certificate, _ = make_certificate(tmp_path / "tls", ["127.0.0.1"])
    gateway = "serverless-chat local gateway"
    assert gateway in _subjects(tls_context("127.0.0.1", None, certificate))
    (tmp_path / "tls").chmod(0o755)  # as a checkout or an archive leaves a folder
    assert gateway not in _subjects(tls_context("127.0.0.1", None, certificate))
    refused = ssl.SSLCertVerificationError(1, "certificate verify failed")
    refused.verify_message = "self-signed certificate"
    assert "someone else could have written it" in untrusted(refused, "127.0.0.1", certificate)
    (tmp_path / "tls").chmod(0o700)
    certificate.chmod(0o666)  # writable by anyone
    assert gateway not in _subjects(tls_context("127.0.0.1", None, certificate))
    assert gateway in _subjects(tls_context("127.0.0.1", certificate, None))  # --cafile: as asked
