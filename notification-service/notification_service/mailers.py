"""How a mail leaves: an .eml file, or SMTP to its one recipient."""

from __future__ import annotations

import os
import re
import smtplib
import tempfile
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

#: What a mail's file name may be made of: an event id, never a path.
SAFE_FILE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


class FileMailer:
    """Writes each mail to ``<folder>/<event id>.eml``: atomically, and the same
    file again if the same event comes twice."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = message["Message-ID"].strip("<>").split("@")[0]
        if not SAFE_FILE_STEM.fullmatch(stem):
            raise ValueError(f"no safe file name in Message-ID {message['Message-ID'][:100]!r}")
        name = stem + ".eml"
        with tempfile.NamedTemporaryFile("wb", dir=self.folder, suffix=".tmp", delete=False) as partial:
            partial.write(bytes(message))
        os.replace(partial.name, self.folder / name)


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 10) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 25
        self.username, self.password = parts.username, parts.password
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.username:
                smtp.login(self.username, self.password or "")
            # Only to the one address compose() put in To: never to whatever
            # else a header might be read as.
            smtp.send_message(message, to_addrs=[the_recipient(message).addr_spec])


def the_recipient(message: EmailMessage) -> Address:
    """The single address in ``message``'s To; ``ValueError`` if there is not exactly one."""
    addresses = message["To"].addresses if message["To"] is not None else ()
    if len(addresses) != 1:
        raise ValueError(f"a mail must have exactly one recipient, this one has {len(addresses)}")
    return addresses[0]
