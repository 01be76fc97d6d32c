"""The README's story, in containers: a user, a token, a booking, the mail.

The CLIs run as one-off containers (`docker-compose run`) and reach the
services over RabbitMQ (AMQP_URI); when the HTTP gateway comes, only
`Stack.cli` and these CLI arguments change."""


def test_a_user_books_the_classic_consignment_and_the_confirmation_is_mailed(stack, user):
    result = stack.cli("consignment-cli", "consignment.json", user.token)
    assert result.returncode == 0, result.stderr
    assert "booked consignment " in result.stdout
    booking = result.stdout.split("booked consignment ", 1)[1].split()[0]

    def confirmation():
        messages = stack.mailpit("/api/v1/messages?limit=200")["messages"]
        return [m for m in messages if booking in m["Subject"] and [t["Address"] for t in m["To"]] == [user.email]]

    (message,) = stack.wait_for(confirmation, 60, "the booking confirmation at the mail server")
    raw = stack.mailpit(f"/api/v1/message/{message['ID']}/raw")
    assert booking in raw
    welcome = [
        m for m in stack.mailpit("/api/v1/messages?limit=200")["messages"] if m["Subject"] == "Welcome to Shippy"
    ]
    assert any([t["Address"] for t in m["To"]] == [user.email] for m in welcome)


def test_a_bad_token_is_refused_in_one_line_with_exit_code_1(stack):
    result = stack.cli("consignment-cli", "consignment.json", "not.a.token")
    assert result.returncode == 1
    assert stack.error_lines(result) == ["error: token is malformed"]


def test_a_missing_file_is_a_usage_error_in_one_line_with_exit_code_2(stack, user):
    result = stack.cli("consignment-cli", "no-such-consignment.json", user.token)
    assert result.returncode == 2
    assert stack.error_lines(result) == ["error: no-such-consignment.json: no such file"]
