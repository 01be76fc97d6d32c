"""``python -m user_service.logins``: the process ``user-service`` starts for logins."""

from user_service.main import logins

if __name__ == "__main__":
    logins()
