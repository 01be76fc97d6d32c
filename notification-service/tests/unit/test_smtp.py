"""Mail over SMTP, against aiosmtpd's server on a local port: one recipient,
one connection kept between mails, TLS (STARTTLS or from the first byte) with
the certificate checked, and a password sent only over TLS."""

import asyncio
import socket
import ssl
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from notification_service.mailers import InsecureSmtp, SmtpMailer
from notification_service.mails import compose, parse_sender
from shippy_common.envelope import new_event

SENDER = parse_sender("Shippy <no-reply@shippy.example>")


class Recorder:
    """aiosmtpd's handler: what arrived, on which connection, over TLS or not, logged in or not."""

    def __init__(self, close_after_each_mail=False):
        self.mails = []
        self.sessions = []
        self.logins = []
        self.close_after_each_mail = close_after_each_mail

    async def handle_DATA(self, server, session, envelope):
        if not any(seen is session for seen in self.sessions):
            self.sessions.append(session)
        self.mails.append(
            {
                "to": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "logged_in": bool(session.authenticated),
            }
        )
        if self.close_after_each_mail:
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"p@ss:w/rd")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """A certificate authority of the test's own, and the PEM file a client trusts it by."""
    authority = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return authority, path


@pytest.fixture
def smtp_server(ca):
    """Starts aiosmtpd's server as asked: ``tls="starttls"``, ``"implicit"`` or ``None``."""
    controllers = []

    def start(recorder, tls=None, **options):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca[0].issue_cert("127.0.0.1").configure_cert(context)
        if tls == "starttls":
            options["tls_context"] = context
        elif tls == "implicit":
            options["ssl_context"] = context
        controller = Controller(recorder, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        controllers.append(controller)
        return controller.port

    yield start
    for controller in controllers:
        controller.stop()


def mail(number=1, name="Ana"):
    data = {"user_id": f"u{number}", "name": name, "company": "X", "email": f"ana{number}@x.io"}
    return compose(new_event("user.created", f"u{number}", data), SENDER)


def test_a_mail_goes_to_exactly_one_recipient_the_accounts_whatever_the_display_name(smtp_server):
    recorder = Recorder()
    mailer = SmtpMailer(f"smtp://127.0.0.1:{smtp_server(recorder)}")
    mailer.send(mail(name="a@x.com, b@y.com, Bob"))
    mailer.close()
    assert [sent["to"] for sent in recorder.mails] == [["ana1@x.io"]]


def test_mails_share_one_connection(smtp_server):
    recorder = Recorder()
    mailer = SmtpMailer(f"smtp://127.0.0.1:{smtp_server(recorder)}")
    for number in (1, 2, 3):
        mailer.send(mail(number))
    mailer.close()
    assert [sent["to"] for sent in recorder.mails] == [["ana1@x.io"], ["ana2@x.io"], ["ana3@x.io"]]
    assert len(recorder.sessions) == 1


def test_a_connection_the_server_closed_is_replaced_and_the_mail_sent(smtp_server):
    recorder = Recorder(close_after_each_mail=True)
    mailer = SmtpMailer(f"smtp://127.0.0.1:{smtp_server(recorder)}")
    mailer.send(mail(1))
    mailer.send(mail(2))  # on the connection the server closed: sent again on a new one
    mailer.close()
    assert [sent["to"] for sent in recorder.mails] == [["ana1@x.io"], ["ana2@x.io"]]
    assert len(recorder.sessions) == 2


def test_a_connection_idle_too_long_is_not_reused(smtp_server):
    recorder = Recorder()
    now = [0.0]
    mailer = SmtpMailer(f"smtp://127.0.0.1:{smtp_server(recorder)}", idle_seconds=30, clock=lambda: now[0])
    mailer.send(mail(1))
    now[0] = 20.0
    mailer.send(mail(2))
    now[0] = 51.0
    mailer.send(mail(3))
    mailer.close()
    assert len(recorder.mails) == 3
    assert len(recorder.sessions) == 2


def test_an_smtp_server_that_is_down_fails_the_send(smtp_server):
    with pytest.raises(ConnectionRefusedError):
        SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=2).send(mail())


def test_starttls_is_used_when_the_server_offers_it(smtp_server, ca):
    recorder = Recorder()
    mailer = SmtpMailer(f"smtp://127.0.0.1:{smtp_server(recorder, tls='starttls')}", ca_file=ca[1])
    mailer.send(mail())
    mailer.close()
    assert [sent["tls"] for sent in recorder.mails] == [True]


def test_smtps_speaks_tls_from_the_first_byte(smtp_server, ca):
    recorder = Recorder()
    mailer = SmtpMailer(f"smtps://127.0.0.1:{smtp_server(recorder, tls='implicit')}", ca_file=ca[1])
    mailer.send(mail())
    mailer.close()
    assert [sent["to"] for sent in recorder.mails] == [["ana1@x.io"]]


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_a_certificate_no_trusted_ca_signed_fails_the_send(smtp_server, tls):
    recorder = Recorder()
    scheme = "smtps" if tls == "implicit" else "smtp"
    with pytest.raises(ssl.SSLCertVerificationError):
        SmtpMailer(f"{scheme}://127.0.0.1:{smtp_server(recorder, tls=tls)}").send(mail())
    assert recorder.mails == []


def test_a_password_goes_over_tls_and_logs_in(smtp_server, ca):
    recorder = Recorder()
    port = smtp_server(recorder, tls="starttls", authenticator=recorder.authenticate)
    mailer = SmtpMailer(f"smtp://ana:p%40ss%3Aw%2Frd@127.0.0.1:{port}", ca_file=ca[1])
    mailer.send(mail())
    mailer.close()
    assert recorder.logins == [("ana", "p@ss:w/rd")]
    assert [(sent["tls"], sent["logged_in"]) for sent in recorder.mails] == [(True, True)]


def test_a_password_is_never_sent_to_a_server_without_tls(smtp_server):
    recorder = Recorder()
    # This server would take the password in clear; the mailer must not offer it.
    port = smtp_server(recorder, authenticator=recorder.authenticate, auth_require_tls=False)
    mailer = SmtpMailer(f"smtp://ana:p%40ss%3Aw%2Frd@127.0.0.1:{port}")
    with pytest.raises(InsecureSmtp, match="not sent in clear") as refused:
        mailer.send(mail())
    assert "p@ss" not in str(refused.value)
    assert recorder.logins == []
    assert recorder.mails == []


def test_a_message_with_no_single_recipient_is_not_sent(smtp_server):
    recorder = Recorder()
    message = EmailMessage()
    message["To"] = "a@x.io, b@y.io"
    with pytest.raises(ValueError, match="exactly one recipient"):
        SmtpMailer(f"smtp://127.0.0.1:{smtp_server(recorder)}").send(message)
    assert recorder.mails == []
