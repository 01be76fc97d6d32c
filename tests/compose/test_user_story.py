"""The README's story, in containers: a user, a token, a booking, the mail.

The CLIs run as one-off containers (`docker-compose run`) configured as the
compose file configures them: the API at SHIPPY_API_URL, the gateway by its
service name. The same story by curl, from the host, is in test_api_story.py."""


def test_a_user_books_the_classic_consignment_and_the_confirmation_is_mailed(stack, user):
    result = stack.cli("consignment-cli", "consignment.json", user.token)
    assert result.returncode == 0, result.stderr
    assert "booked consignment " in result.stdout
    booking = result.stdout.split("booked consignment ", 1)[1].split()[0]

    assert booking in stack.booking_confirmation(booking, user.email)
    assert "Welcome to Shippy" in [m["Subject"] for m in stack.mails_to(user.email)]


def test_a_bad_token_is_refused_in_one_line_with_exit_code_1(stack):
    result = stack.cli("consignment-cli", "consignment.json", "not.a.token")
    assert result.returncode == 1
    assert stack.error_lines(result) == ["error: token is malformed"]


def test_a_missing_file_is_a_usage_error_in_one_line_with_exit_code_2(stack, user):
    result = stack.cli("consignment-cli", "no-such-consignment.json", user.token)
    assert result.returncode == 2
    assert stack.error_lines(result) == ["error: no-such-consignment.json: no such file"]
