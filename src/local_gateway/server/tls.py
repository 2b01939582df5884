"""The certificate the gateway serves HTTPS and WSS with, made at start.

Functions build their callback client as ``https://{domainName}/{stage}`` (the pattern AWS
documents), and some build the host from the API id and region themselves. The gateway
serves its callback API over TLS for them, under the names they use: the API's own
execute-api host, ``localhost`` and the address it listens on. The certificate is
self-signed, made fresh at each start (an EC P-256 key takes milliseconds), kept in the
state folder (the key readable by its owner alone), and trusted by the functions through
``AWS_CA_BUNDLE`` (and ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE`` for other clients).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALID_FOR = datetime.timedelta(days=30)
CERTIFICATE = "gateway-cert.pem"


def certificate_path(state_dir: Path) -> Path:
    """Where a gateway with ``state_dir`` keeps the certificate it serves (a client on this
    machine trusts it from there: ``serverless-chat connect wss://…``)."""
    return state_dir / "tls" / CERTIFICATE


def _names(hosts: Iterable[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def make_certificate(folder: Path, hosts: Iterable[str]) -> tuple[Path, Path]:
    """A self-signed certificate for ``hosts`` and its key, written in ``folder`` (its
    owner's alone, as the key is)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.chmod(0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "serverless-chat local gateway")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + VALID_FOR)
        .add_extension(x509.SubjectAlternativeName(_names(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / CERTIFICATE, folder / "gateway-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_path, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
