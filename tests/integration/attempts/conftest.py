from tests.integration.attempts.attempts_api_support import (  # noqa: F401
    admin,
    app,
    caller,
    parent,
    student,
    teacher,
)
