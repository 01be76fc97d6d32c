"""How a mail leaves: an .eml file, or SMTP to its one recipient."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from shippy_common.files import write_whole

log = logging.getLogger("notification_service")

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
        write_whole(self.folder / f"{stem}.eml", bytes(message))

    def close(self) -> None:
        pass


class InsecureSmtp(Exception):
    """The server offers no TLS, and the URL has credentials: they are not sent in clear."""


class SmtpMailer:
    """Sends each mail to its one recipient, over one SMTP connection kept open
    between mails (one a mail, at booking rates, is hundreds of connections and
    TLS handshakes a minute at the relay).

    ``smtps://`` speaks TLS from the first byte (port 465 by default);
    ``smtp://`` (port 25 by default) moves to TLS with STARTTLS whenever the
    server offers it. The server's certificate is checked against the system's
    CAs and ``ca_file``'s. A user name and password go only over TLS: to a
    server that offers none, the mail is not sent (``InsecureSmtp``).

    A connection idle for ``idle_seconds`` is closed before the next mail; one
    the server closed meanwhile is replaced and the mail sent again on the new
    one (before that, the server had not taken it). After any other failure the
    connection is dropped and the error raised: the event is tried again later.
    """

    def __init__(
        self,
        url: str,
        timeout: float = 10,
        ca_file: Path | None = None,
        idle_seconds: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("an SMTP URL starts with smtp:// or smtps://")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout
        self.tls = ssl.create_default_context()
        if ca_file is not None:
            self.tls.load_verify_locations(cafile=ca_file)
        self.idle_seconds = idle_seconds
        self.clock = clock
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()

    def send(self, message: EmailMessage) -> None:
        # Only to the one address compose() put in To: never to whatever
        # else a header might be read as.
        recipient = the_recipient(message).addr_spec
        with self._lock:
            if self._smtp is not None and self.clock() - self._last_used > self.idle_seconds:
                self._close()
            reused = self._smtp is not None
            try:
                self._send_once(message, recipient)
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                if not reused:
                    raise
                log.info("the SMTP server closed the connection (%s); sending on a new one", type(exc).__name__)
                self._send_once(message, recipient)
            self._last_used = self.clock()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _send_once(self, message: EmailMessage, recipient: str) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message, to_addrs=[recipient])
        except BaseException:
            self._close()
            raise

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            encrypted = self.implicit_tls
            if not encrypted and smtp.has_extn("starttls"):
                smtp.starttls(context=self.tls)
                smtp.ehlo()
                encrypted = True
            if self.username:
                if not encrypted:
                    raise InsecureSmtp(
                        f"{self.host}:{self.port} offers no STARTTLS; the SMTP password is not sent in clear"
                        " (smtps:// if the server takes TLS on connect)"
                    )
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def the_recipient(message: EmailMessage) -> Address:
    """The single address in ``message``'s To; ``ValueError`` if there is not exactly one."""
    addresses = message["To"].addresses if message["To"] is not None else ()
    if len(addresses) != 1:
        raise ValueError(f"a mail must have exactly one recipient, this one has {len(addresses)}")
    return addresses[0]
