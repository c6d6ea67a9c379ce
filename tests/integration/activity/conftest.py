from tests.integration.activity.activity_api_support import (  # noqa: F401
    admin,
    app,
    caller,
    parent,
    service,
    student,
    teacher,
)
